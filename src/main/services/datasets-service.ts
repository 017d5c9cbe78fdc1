import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Dataset, ResultOf } from '../../shared/api';
import type { SearchConfig } from '../../shared/config';
import { loadIdxPair } from '../nas/data/idx';
import { classCounts, type ImageSet } from '../nas/data/image-set';
import { findIdxPair } from '../nas/data/mnist-family';
import { defaultDemoDatasetDir } from '../nas/data/resources';
import { DEBIAN_FASHION_MNIST, type DataReference } from '../nas/job';
import type { Store } from '../store/store';

// Datasets the app remembers. Imported files are validated in full (an IDX file that is truncated or whose
// labels do not match is refused with the reason) and copied into the data folder, so a run never depends on
// a file the user later moves. Debian's system-wide Fashion-MNIST is referenced in place.

interface Location {
  trainImages: string;
  trainLabels: string;
  testImages?: string;
  testLabels?: string;
}

export class DatasetsService {
  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
  ) {}

  list(): Dataset[] {
    return this.store.datasets.list();
  }

  available(): ResultOf<'datasets.available'> {
    return [
      { which: 'demo', label: 'Fashion-MNIST demo (3,000 + 500 images, built in)', present: existsSync(defaultDemoDatasetDir()) },
      { which: 'fashion-mnist', label: `Fashion-MNIST (Debian package, ${DEBIAN_FASHION_MNIST})`, present: existsSync(DEBIAN_FASHION_MNIST) },
    ];
  }

  importBuiltin(which: 'demo' | 'fashion-mnist'): Dataset {
    const name = which === 'demo' ? 'Fashion-MNIST demo' : 'Fashion-MNIST';
    const existing = this.store.datasets.findByName(name);
    if (existing) return existing;
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
    const location: Location = { trainImages: train.images, trainLabels: train.labels, testImages: test.images, testLabels: test.labels };
    // The demo set ships inside the app and is small: copy it so the history survives an app update.
    return this.register(name, which === 'demo' ? this.copyInto(name, location) : location);
  }

  import(args: { name: string; trainImages: string; trainLabels: string; testImages?: string; testLabels?: string }): Dataset {
    if (this.store.datasets.findByName(args.name)) throw new Error(`A dataset named '${args.name}' already exists; choose another name.`);
    if (Boolean(args.testImages) !== Boolean(args.testLabels)) throw new Error('Give both test files (images and labels) or neither.');
    for (const p of [args.trainImages, args.trainLabels, args.testImages, args.testLabels]) {
      if (p && !existsSync(p)) throw new Error(`File not found: ${p}. Check the path (it is read on the machine that runs NAS Studio).`);
    }
    return this.register(args.name, this.copyInto(args.name, args));
  }

  private copyInto(name: string, loc: Location): Location {
    // Validate before copying anything, so a bad file leaves no trace.
    loadIdxPair(loc.trainImages, loc.trainLabels);
    if (loc.testImages && loc.testLabels) loadIdxPair(loc.testImages, loc.testLabels);
    const dir = join(this.dataDir, 'datasets', `${Date.now()}-${name.replace(/[^a-z0-9_-]+/gi, '_')}`);
    mkdirSync(dir, { recursive: true });
    const copy = (p?: string) => {
      if (!p) return undefined;
      const target = join(dir, basename(p));
      copyFileSync(p, target);
      return target;
    };
    return { trainImages: copy(loc.trainImages)!, trainLabels: copy(loc.trainLabels)!, testImages: copy(loc.testImages), testLabels: copy(loc.testLabels) };
  }

  private register(name: string, loc: Location): Dataset {
    const train = loadIdxPair(loc.trainImages, loc.trainLabels);
    const test = loc.testImages && loc.testLabels ? loadIdxPair(loc.testImages, loc.testLabels, { classes: train.classes }) : null;
    const hash = createHash('sha256');
    for (const p of [loc.trainImages, loc.trainLabels, loc.testImages, loc.testLabels]) if (p) hash.update(readFileSync(p));
    return this.store.datasets.add({
      name,
      format: 'idx',
      location: JSON.stringify(loc),
      shape: [train.height, train.width, train.channels],
      classes: train.classes,
      trainCount: train.count,
      testCount: test?.count ?? 0,
      classCounts: classCounts(train),
      checksum: hash.digest('hex'),
    });
  }

  delete(id: number): void {
    const d = this.require(id);
    this.store.datasets.delete(id);
    const loc = JSON.parse(d.location) as Location;
    // Only remove copies the app made; never a system dataset.
    if (loc.trainImages.startsWith(join(this.dataDir, 'datasets'))) rmSync(join(loc.trainImages, '..'), { recursive: true, force: true });
  }

  samples(id: number, perClass: number): ResultOf<'datasets.samples'> {
    const set = this.load(id);
    const out: ResultOf<'datasets.samples'> = [];
    const taken = new Array<number>(set.classes).fill(0);
    const size = set.height * set.width * set.channels;
    for (let i = 0; i < set.count && out.length < perClass * set.classes; i++) {
      const c = set.labels[i];
      if (taken[c] >= perClass) continue;
      taken[c]++;
      const px = set.images.subarray(i * size, (i + 1) * size);
      out.push({ label: c, width: set.width, height: set.height, pixels: Buffer.from(px).toString('base64') });
    }
    return out.sort((a, b) => a.label - b.label);
  }

  private load(id: number): ImageSet {
    const loc = JSON.parse(this.require(id).location) as Location;
    return loadIdxPair(loc.trainImages, loc.trainLabels);
  }

  private require(id: number): Dataset {
    const d = this.store.datasets.get(id);
    if (!d) throw new Error(`There is no dataset ${id}.`);
    return d;
  }

  /** The files behind a run's dataset (its config holds the dataset id). */
  resolve(config: SearchConfig): { ref: DataReference; id: number; name: string } {
    const id = Number(config.dataset);
    const d = Number.isInteger(id) ? this.store.datasets.get(id) : null;
    if (!d) throw new Error(`Dataset ${config.dataset} is not in the dataset list (never imported, or deleted since). Import it on the Datasets page and start the run again.`);
    const loc = JSON.parse(d.location) as Location;
    return { ref: { trainImages: loc.trainImages, trainLabels: loc.trainLabels, name: d.name }, id: d.id, name: d.name };
  }
}
