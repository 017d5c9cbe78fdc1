import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeAll, afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DatasetImportResultSchema } from '../../../src/shared/api';
import { FASHION_MNIST_CLASS_NAMES } from '../../../src/shared/dataset-classes';
import { loadMnistFamily } from '../../../src/main/nas/data/mnist-family';
import { DatasetsService } from '../../../src/main/services/datasets-service';
import { Store } from '../../../src/main/store/store';
import { DEMO, demoAsSplitFolders, imagesIdx, labelsIdx, tempDir, writeGz, writeGzipBomb } from './fixtures';

// The import path of DatasetsService on real files, a real SQLite store and a real data folder.

describe('dataset import', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let service: DatasetsService;
  let dataDir: string;
  const datasetsDir = () => join(dataDir, 'datasets');
  /** What the data folder holds for datasets (temporary import folders included). */
  const entries = () => (existsSync(datasetsDir()) ? readdirSync(datasetsDir()) : []);

  beforeEach(() => {
    tmp = tempDir('nas-import-');
    dataDir = join(tmp.dir, 'data');
    mkdirSync(dataDir);
    store = Store.open(join(dataDir, 'nas-studio.db'));
    service = new DatasetsService(store, dataDir);
  });
  afterEach(() => {
    store.close();
    tmp.dispose();
  });

  async function refusal(p: Promise<unknown>): Promise<Error> {
    const e = await p.then(
      () => null,
      (err: unknown) => err as Error,
    );
    if (!e) throw new Error('expected the import to be refused');
    return e;
  }

  it('copies by role, not basename: train/images.gz and test/images.gz stay two files (3,000 + 500 demo images)', async () => {
    const files = demoAsSplitFolders(join(tmp.dir, 'download'));
    const d = await service.import({ name: 'Demo by folders', ...files });
    expect(DatasetImportResultSchema.parse(d)).toEqual(d);
    expect(d).toMatchObject({ alreadyImported: false, trainCount: 3000, testCount: 500, classes: 10, shape: [28, 28, 1] });
    expect(d.classCounts).toEqual(new Array(10).fill(300));
    const loc = JSON.parse(d.location) as Record<string, string>;
    expect(new Set(Object.values(loc)).size).toBe(4);
    expect(Object.values(loc).map((p) => basename(p)).sort()).toEqual(
      ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'],
    );
    // The copy is a standard MNIST-family folder holding the demo set's train and test splits, byte for byte.
    const copy = loadMnistFamily(dirname(loc.trainImages));
    const original = loadMnistFamily(DEMO);
    expect(copy.train.count).toBe(3000);
    expect(copy.test.count).toBe(500);
    expect(Buffer.compare(Buffer.from(copy.train.images), Buffer.from(original.train.images))).toBe(0);
    expect(Buffer.compare(Buffer.from(copy.test.labels), Buffer.from(original.test.labels))).toBe(0);
    expect(entries()).toHaveLength(1);
  });

  it('re-importing the same files says it is already there: the same dataset, nothing copied again', async () => {
    const files = demoAsSplitFolders(join(tmp.dir, 'download'));
    const first = await service.import({ name: 'Demo', ...files });
    const again = await service.import({ name: 'Demo again', ...files });
    expect(again).toEqual({ ...first, alreadyImported: true });
    const builtin = await service.importBuiltin('demo');
    expect(builtin).toMatchObject({ id: first.id, alreadyImported: true });
    expect(store.datasets.list()).toHaveLength(1);
    expect(entries()).toHaveLength(1);
  });

  it.skipIf(!existsSync('/usr/share/datasets/fashion-mnist'))('Debian’s Fashion-MNIST is validated and referenced in place, once', async () => {
    const d = await service.importBuiltin('fashion-mnist');
    expect(d).toMatchObject({ alreadyImported: false, trainCount: 60000, testCount: 10000, classes: 10 });
    expect(d.classCounts).toEqual(new Array(10).fill(6000));
    expect(JSON.parse(d.location).trainImages).toBe('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz');
    expect(d.classNames).toEqual([...FASHION_MNIST_CLASS_NAMES]);
    expect(await service.importBuiltin('fashion-mnist')).toEqual({ ...d, alreadyImported: true });
    expect(entries()).toEqual([]); // nothing copied
  });

  it('knows Fashion-MNIST class names (the demo set by its checksum, whatever its name)', async () => {
    const d = await service.import({ name: 'my clothes', ...demoAsSplitFolders(join(tmp.dir, 'download')) });
    expect(d.classNames).toEqual([...FASHION_MNIST_CLASS_NAMES]);
    expect(store.datasets.get(d.id)!.classNames).toEqual([...FASHION_MNIST_CLASS_NAMES]);
    const other = await service.import({
      name: 'digits',
      trainImages: writeGz(join(tmp.dir, 'i.gz'), imagesIdx(40, 8, 8)),
      trainLabels: writeGz(join(tmp.dir, 'l.gz'), labelsIdx(Array.from({ length: 40 }, (_, i) => i % 10))),
    });
    expect(other.classNames).toBeUndefined();
  });

  it('a file that is not IDX (like /etc/shadow) is refused by its path, without echoing its bytes; nothing is left', async () => {
    const shadow = join(tmp.dir, 'shadow');
    writeFileSync(shadow, 'root:$6$abcdefgh$xyz:19000:0:99999:7:::\n');
    const e = await refusal(service.import({ name: 'x', trainImages: shadow, trainLabels: join(DEMO, 'train-labels-idx1-ubyte.gz') }));
    expect(e.message).toContain(`${shadow}: is not an IDX file (bad magic number)`);
    for (const leak of ['root', '726f6f74', '72 6f 6f 74', '$6$']) expect(e.message).not.toContain(leak);
    expect(e.message).not.toContain(dataDir); // never the app's copy
    expect(entries()).toEqual([]);
    expect(store.datasets.list()).toEqual([]);
  });

  it('a device, a folder and a FIFO are refused by name, before anything is opened or created', async () => {
    const labels = join(DEMO, 'train-labels-idx1-ubyte.gz');
    const dev = await refusal(service.import({ name: 'x', trainImages: '/dev/zero', trainLabels: labels }));
    expect(dev.message).toContain('/dev/zero: is a device, not a regular file');
    const folder = await refusal(service.import({ name: 'x', trainImages: DEMO, trainLabels: labels }));
    expect(folder.message).toContain(`${DEMO}: is a folder, not an IDX file`);
    const fifo = join(tmp.dir, 'images.fifo');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    const pipe = await refusal(service.import({ name: 'x', trainImages: join(DEMO, 'train-images-idx3-ubyte.gz'), trainLabels: fifo }));
    expect(pipe.message).toContain(`${fifo}: is a named pipe (FIFO)`);
    expect(Date.now() - started).toBeLessThan(2000); // no writer ever appears: an open would hang
    expect(entries()).toEqual([]);
  });

  it('a missing file is named; one test file without the other is refused', async () => {
    const missing = join(tmp.dir, 'nope-images.gz');
    const e = await refusal(service.import({ name: 'x', trainImages: missing, trainLabels: join(DEMO, 'train-labels-idx1-ubyte.gz') }));
    expect(e.message).toContain(`${missing}: file not found`);
    const half = await refusal(service.import({ name: 'x', ...demoAsSplitFolders(join(tmp.dir, 'd')), testLabels: undefined }));
    expect(half.message).toMatch(/give both test files/);
    expect(entries()).toEqual([]);
  });

  it('a bad test pair fails the whole import, names the user’s test file, and leaves no folder behind', async () => {
    const files = demoAsSplitFolders(join(tmp.dir, 'download'));
    // 499 labels for 500 test images.
    writeGz(files.testLabels, labelsIdx(new Array(499).fill(3)));
    const e = await refusal(service.import({ name: 'Bad test', ...files }));
    expect(e.message).toContain(`${files.testLabels}: holds 499 labels but the images file ${files.testImages} holds 500 images`);
    expect(entries()).toEqual([]);
    // Test labels outside the training classes.
    writeGz(files.testLabels, labelsIdx(Array.from({ length: 500 }, (_, i) => (i === 7 ? 10 : i % 10))));
    const range = await refusal(service.import({ name: 'Bad test', ...files }));
    expect(range.message).toContain(`${files.testLabels}: label out of range: label 10 at position 7`);
    expect(entries()).toEqual([]);
    expect(store.datasets.list()).toEqual([]);
  });

  it('a labels header that does not match the images is refused before its labels are read into memory', async () => {
    const files = demoAsSplitFolders(join(tmp.dir, 'download'));
    // Declares a billion labels (1 GB) but holds four.
    writeGz(files.trainLabels, Buffer.concat([labelsIdx([]).subarray(0, 4), Buffer.from([0x3b, 0x9a, 0xca, 0x00]), Buffer.from([1, 2, 3, 4])]));
    const before = process.memoryUsage().arrayBuffers;
    const e = await refusal(service.import({ name: 'x', ...files }));
    expect(e.message).toContain(`${files.trainLabels}: holds 1000000000 labels but the images file ${files.trainImages} holds 3000 images`);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(100 * 1024 ** 2);
    // Images given as labels: refused from the header, not after keeping 2.3 MB of pixels as labels.
    const swapped = await refusal(service.import({ name: 'x', ...files, trainLabels: files.testImages, testImages: undefined, testLabels: undefined }));
    expect(swapped.message).toContain(`${files.testImages}: not a labels file`);
    expect(swapped.message).toMatch(/swap/);
    expect(entries()).toEqual([]);
  });

  it('a name already used by other files is refused, the staged copy removed', async () => {
    await service.importBuiltin('demo');
    const e = await refusal(
      service.import({
        name: 'Fashion-MNIST demo',
        trainImages: writeGz(join(tmp.dir, 'i.gz'), imagesIdx(20, 8, 8)),
        trainLabels: writeGz(join(tmp.dir, 'l.gz'), labelsIdx(Array.from({ length: 20 }, (_, i) => i % 4))),
      }),
    );
    expect(e.message).toMatch(/already exists with other files; choose another name/);
    expect(entries()).toHaveLength(1);
  });

  describe('a gzip bomb (10 images of 28×28 declared, 512 MB of zeros inside)', () => {
    const bombDir = tempDir('nas-bomb-');
    const bomb = join(bombDir.dir, 'train-images-idx3-ubyte.gz');
    beforeAll(async () => {
      await writeGzipBomb(bomb);
    });
    afterAll(() => bombDir.dispose());

    it('is refused after reading past the declared size, without the memory growing', async () => {
      const labels = writeGz(join(bombDir.dir, 'labels.gz'), labelsIdx([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
      global.gc?.();
      const before = process.memoryUsage();
      let peak = before.rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
      const e = await refusal(service.import({ name: 'bomb', trainImages: bomb, trainLabels: labels }));
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      expect(e.message).toContain(`${bomb}: decompresses to more data than its header declares (10 images of 28×28, 7840 bytes)`);
      expect(peak - before.rss).toBeLessThan(100 * 1024 ** 2);
      expect(process.memoryUsage().arrayBuffers - before.arrayBuffers).toBeLessThan(100 * 1024 ** 2);
      expect(entries()).toEqual([]);
    });
  });
});
