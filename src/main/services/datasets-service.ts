import { existsSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Dataset, ResultOf } from '../../shared/api';
import { trainingSetProblem, type SearchConfig } from '../../shared/config';
import { ConflictError, NotFoundError, UserError } from '../app-errors';
import { DatasetFileError } from '../nas/data/errors';
import { findIdxPair } from '../nas/data/mnist-family';
import { defaultDemoDatasetDir } from '../nas/data/resources';
import { scanIdxFile } from '../nas/data/idx-stream';
import { DEBIAN_FASHION_MNIST } from '../nas/data/system-datasets';
import type { DataReference } from '../nas/job';
import type { Store } from '../store/store';
import { readIdxImages, type DatasetImages } from './dataset-images';
import { checksumFiles, inspectSet, removeStaleImports, stageImport, type DatasetFiles, type SetFacts } from './dataset-import';
import { builtinSpdSet, readSpdImport, spdLocation, spdSamples, stageSpdSet } from './spd-dataset-import';
import type { SpdMatrixSet } from '../nas/data/spd-import-set';
import type { BuiltinDataset, SpdDatasetInfo } from '../../shared/api';
import { BUILTIN_SPD_SETS } from '../nas/data/spd-sets';
import { SPD_SYNTHETIC_NAME } from '../nas/data/spd-synthetic';

// Datasets the app remembers. Imported files are checked, copied by role and validated in full
// (dataset-import.ts) before they join the list, so a run never depends on a file the user later moves.
// Debian's system-wide Fashion-MNIST is validated and referenced in place. Re-importing the same files
// (same checksum) answers with the dataset already there.

type Location = DatasetFiles;
export type ImportOutcome = ResultOf<'datasets.import'>;

export class DatasetsService {
  private readonly datasetsDir: string;
  /** Imports run one at a time, so two imports of the same files cannot both pass the duplicate check. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
  ) {
    this.datasetsDir = join(dataDir, 'datasets');
    // First in the queue: temporary folders of an import a crash interrupted go before any new import starts.
    this.queue = removeStaleImports(this.datasetsDir);
  }

  list(): Dataset[] {
    return this.store.datasets.list();
  }

  available(): ResultOf<'datasets.available'> {
    return [
      { which: 'demo', label: 'Fashion-MNIST demo (3,000 + 500 images, built in)', present: existsSync(defaultDemoDatasetDir()) },
      { which: 'fashion-mnist', label: `Fashion-MNIST (Debian package, ${DEBIAN_FASHION_MNIST})`, present: existsSync(DEBIAN_FASHION_MNIST) },
      { which: 'spd-synthetic', label: `SPD synthetic (${BUILTIN_SPD_SETS[SPD_SYNTHETIC_NAME].label}, generated)`, present: true },
    ];
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  importBuiltin(which: BuiltinDataset): Promise<ImportOutcome> {
    if (which === 'spd-synthetic') return this.serial(() => this.registerSpd(...builtinSpdSet(which)));
    const name = which === 'demo' ? 'Fashion-MNIST demo' : 'Fashion-MNIST';
    return this.serial(async () => {
      const existing = this.store.datasets.findByName(name);
      if (existing) return { ...existing, alreadyImported: true };
      const dir = which === 'demo' ? defaultDemoDatasetDir() : DEBIAN_FASHION_MNIST;
      if (!existsSync(dir)) {
        throw new Error(
          which === 'demo'
            ? `The built-in demo dataset is missing from this installation (${dir}). Reinstall NAS Studio.`
            : `Fashion-MNIST is not installed (${dir}). Install Debian's package: sudo apt-get install dataset-fashion-mnist.`,
        );
      }
      const train = findIdxPair(dir, 'train');
      const test = findIdxPair(dir, 'test');
      const files: DatasetFiles = { trainImages: train.images, trainLabels: train.labels, testImages: test.images, testLabels: test.labels };
      // The demo set ships inside the app and is small: copy it so the history survives an app update.
      if (which === 'demo') return this.importCopy(name, files);
      const facts = await inspectSet(files);
      const checksum = await checksumFiles(files);
      const same = this.store.datasets.findByChecksum(checksum);
      if (same) return { ...same, alreadyImported: true };
      return { ...this.register(name, files, facts, checksum), alreadyImported: false };
    });
  }

  import(args: { name: string; trainImages: string; trainLabels: string; testImages?: string; testLabels?: string }): Promise<ImportOutcome> {
    if (Boolean(args.testImages) !== Boolean(args.testLabels)) {
      return Promise.reject(new UserError('testImages, testLabels: give both test files (images and labels) or neither.'));
    }
    const { name, ...files } = args;
    return this.serial(() => this.importCopy(name, files));
  }

  private async importCopy(name: string, sources: DatasetFiles): Promise<ImportOutcome> {
    const staged = await stageImport(sources, this.datasetsDir);
    try {
      const same = this.store.datasets.findByChecksum(staged.checksum);
      if (same) return { ...same, alreadyImported: true };
      if (this.store.datasets.findByName(name)) throw new ConflictError(`name: a dataset named '${name}' already exists with other files; choose another name.`);
      const files = await staged.commit(join(this.datasetsDir, `${Date.now()}-${name.replace(/[^a-z0-9_-]+/gi, '_')}`));
      try {
        return { ...this.register(name, files, staged.facts, staged.checksum), alreadyImported: false };
      } catch (e) {
        await rm(dirname(files.trainImages), { recursive: true, force: true });
        throw e;
      }
    } finally {
      await staged.discard();
    }
  }

  /** Imports a folder of SPD data (nas/data/spd-import.ts): every matrix checked, the set packed into the data folder. */
  importSpd(args: { name: string; folder: string; source: 'matrices' | 'sequences' }): Promise<ImportOutcome> {
    return this.serial(async () => {
      const { set, info } = await readSpdImport(args.folder, args.source, args.name);
      return this.registerSpd(set, info);
    });
  }

  private async registerSpd(set: SpdMatrixSet, info: SpdDatasetInfo): Promise<ImportOutcome> {
    const staged = await stageSpdSet(set, info, this.datasetsDir);
    try {
      const same = this.store.datasets.findByChecksum(staged.checksum);
      if (same) return { ...same, alreadyImported: true };
      if (this.store.datasets.findByName(set.name)) throw new ConflictError(`name: a dataset named '${set.name}' already exists with other data; choose another name.`);
      const location = await staged.commit(join(this.datasetsDir, `${Date.now()}-${set.name.replace(/[^a-z0-9_-]+/gi, '_')}`));
      try {
        return { ...this.store.datasets.add(staged.input(location)), alreadyImported: false };
      } catch (e) {
        await rm(location.dir, { recursive: true, force: true });
        throw e;
      }
    } finally {
      await staged.discard();
    }
  }

  /** A few matrices per class of an SPD set, with their eigenvalues. */
  spdSamples(id: number, perClass: number): Promise<ResultOf<'datasets.spdSamples'>> {
    const d = this.require(id);
    if (d.kind !== 'spd') throw new UserError(`Dataset ${id} ('${d.name}') holds images, not SPD matrices; use datasets.samples.`);
    return spdSamples(d, perClass);
  }

  private register(name: string, loc: Location, facts: SetFacts, checksum: string): Dataset {
    return this.store.datasets.add({ name, format: 'idx', location: JSON.stringify(loc), ...facts, checksum });
  }

  delete(id: number): void {
    const d = this.require(id);
    this.store.datasets.delete(id);
    if (d.kind === 'spd') {
      const dir = spdLocation(d).dir;
      if (dir.startsWith(join(this.dataDir, 'datasets'))) rmSync(dir, { recursive: true, force: true });
      return;
    }
    const loc = JSON.parse(d.location) as Location;
    // Only remove copies the app made; never a system dataset.
    if (loc.trainImages.startsWith(join(this.dataDir, 'datasets'))) rmSync(join(loc.trainImages, '..'), { recursive: true, force: true });
  }

  /** A few training images per class, read without blocking (the files may be Fashion-MNIST's 47 MB). */
  async samples(id: number, perClass: number): Promise<ResultOf<'datasets.samples'>> {
    const dataset = this.require(id);
    if (dataset.kind === 'spd') throw new UserError(`Dataset ${id} ('${dataset.name}') holds SPD matrices, not images; use datasets.spdSamples.`);
    const loc = JSON.parse(dataset.location) as Location;
    const images = await scanIdxFile(loc.trainImages, { keepData: true });
    const labels = await scanIdxFile(loc.trainLabels, { keepData: true });
    const [count, height, width] = images.dims;
    const size = images.dataBytes / count;
    if (labels.dims[0] !== count) throw new DatasetFileError(loc.trainLabels, `holds ${labels.dims[0]} labels for ${count} images`, 'Delete the dataset and import it again.');
    const out: ResultOf<'datasets.samples'> = [];
    const taken = new Map<number, number>();
    for (let i = 0; i < count && out.length < perClass * dataset.classes; i++) {
      const c = labels.data![i];
      if ((taken.get(c) ?? 0) >= perClass) continue;
      taken.set(c, (taken.get(c) ?? 0) + 1);
      const px = images.data!.subarray(i * size, (i + 1) * size);
      out.push({ label: c, width, height, pixels: Buffer.from(px).toString('base64') });
    }
    return out.sort((a, b) => a.label - b.label);
  }

  /** Images by index in the train or test files; a dataset imported without test files has no test split. */
  images(id: number, split: 'train' | 'test', indices: number[]): Promise<DatasetImages> {
    const dataset = this.require(id);
    const loc = JSON.parse(dataset.location) as Location;
    const files = split === 'train' ? { images: loc.trainImages, labels: loc.trainLabels } : loc.testImages && loc.testLabels ? { images: loc.testImages, labels: loc.testLabels } : null;
    if (!files) throw new UserError(`split: the dataset '${dataset.name}' was imported without test files, so it has no test images.`, 'Import it again with its test images and labels.');
    return readIdxImages(files, indices).catch((e: unknown) => {
      throw e instanceof RangeError ? new UserError(`${e.message} (dataset '${dataset.name}', ${split} split)`) : e;
    });
  }

  private require(id: number): Dataset {
    const d = this.store.datasets.get(id);
    if (!d) throw new NotFoundError(`There is no dataset ${id}.`);
    return d;
  }

  /** The files behind a run's dataset (its config holds the dataset id). */
  resolve(config: SearchConfig): { ref: DataReference; id: number; name: string } {
    // Only a plain decimal id: Number() would also take "0x1", "1e0" or " 1 " as dataset 1.
    if (!/^[1-9][0-9]{0,14}$/.test(config.dataset)) {
      throw new UserError(`dataset: must be a number, the id of a dataset in the list; got ${JSON.stringify(config.dataset)}.`, 'Pick the dataset on the Datasets page or from datasets.list.');
    }
    const d = this.store.datasets.get(Number(config.dataset));
    if (!d) throw new NotFoundError(`Dataset ${config.dataset} is not in the dataset list (never imported, or deleted since). Import it on the Datasets page and start the run again.`);
    const tooFew = trainingSetProblem(config.trainLimit, d.classes, d.trainCount);
    if (tooFew) throw new UserError(`trainLimit: ${tooFew}`);
    if (d.kind === 'spd') return { ref: { kind: 'spd', name: d.name, packedDir: spdLocation(d).dir }, id: d.id, name: d.name };
    const loc = JSON.parse(d.location) as Location;
    // The test split goes with it when the dataset has one: a retrain measures on it.
    const test = loc.testImages && loc.testLabels ? { testImages: loc.testImages, testLabels: loc.testLabels } : {};
    return { ref: { trainImages: loc.trainImages, trainLabels: loc.trainLabels, ...test, name: d.name }, id: d.id, name: d.name };
  }
}
