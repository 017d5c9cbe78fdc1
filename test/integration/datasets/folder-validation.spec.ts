import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DatasetFileError } from '../../../src/main/nas/data/errors';
import { validateMnistFolder } from '../../../src/main/nas/data/mnist-family';
import { DEMO, imagesIdx, labelsIdx, tempDir, writeGz, writeGzipBomb } from './fixtures';

// A dataset folder given to the CLI (or to a job) is checked as fully as an import before training starts:
// every pair in it, train and test.

const ROOT = join(__dirname, '..', '..', '..');

describe('dataset folder validation', () => {
  const tmp = tempDir('nas-folder-');
  afterAll(() => tmp.dispose());
  let dir = '';
  let n = 0;
  beforeEach(() => {
    dir = join(tmp.dir, `set-${++n}`);
    mkdirSync(dir);
    for (const f of readdirSync(DEMO)) copyFileSync(join(DEMO, f), join(dir, f));
  });

  function refusal(fn: () => unknown): DatasetFileError {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(DatasetFileError);
      return e as DatasetFileError;
    }
    throw new Error('expected the folder to be refused');
  }

  it('accepts the demo folder and reports both splits', () => {
    const v = validateMnistFolder(dir);
    expect(v).toMatchObject({ shape: [28, 28, 1], classes: 10, trainCount: 3000, testCount: 500 });
    expect(v.test?.labels).toBe(join(dir, 't10k-labels-idx1-ubyte.gz'));
  });

  it('a bad test pair is caught, naming the test file (counts, label range, shape, a bomb)', () => {
    const labels = join(dir, 't10k-labels-idx1-ubyte.gz');
    const images = join(dir, 't10k-images-idx3-ubyte.gz');
    writeGz(labels, labelsIdx(new Array(499).fill(1)));
    expect(refusal(() => validateMnistFolder(dir)).message).toContain(`${labels}: holds 499 labels but the images file ${images} holds 500 images`);
    writeGz(labels, labelsIdx(Array.from({ length: 500 }, (_, i) => (i === 3 ? 12 : 0))));
    expect(refusal(() => validateMnistFolder(dir)).message).toContain(`${labels}: label out of range: label 12 at position 3`);
    writeGz(labels, labelsIdx(new Array(500).fill(0)));
    writeGz(images, imagesIdx(500, 32, 32));
    expect(refusal(() => validateMnistFolder(dir)).message).toContain(`${images}: test images are 32×32×1 but training images are 28×28×1`);
  });

  it('a test images file without its labels file is an error, not a folder without a test split', () => {
    rmSync(join(dir, 't10k-labels-idx1-ubyte.gz'));
    expect(refusal(() => validateMnistFolder(dir)).message).toMatch(/no test labels file/);
    rmSync(join(dir, 't10k-images-idx3-ubyte.gz'));
    expect(validateMnistFolder(dir)).toMatchObject({ test: null, trainCount: 3000, testCount: 0 });
  });

  it('a gzip bomb in the folder is refused without decompressing it', async () => {
    const images = join(dir, 't10k-images-idx3-ubyte.gz');
    await writeGzipBomb(images, 256 * 1024 ** 2);
    const before = process.memoryUsage().arrayBuffers;
    expect(refusal(() => validateMnistFolder(dir)).message).toContain(`${images}: decompresses to more data than its header declares`);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(100 * 1024 ** 2);
  });

  it('the CLI refuses a folder with a bad test pair before any training, naming the file', () => {
    const cli = join(ROOT, 'out', 'main', 'cli.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build' first.`);
    const labels = join(dir, 't10k-labels-idx1-ubyte.gz');
    writeGz(labels, labelsIdx(new Array(10).fill(1)));
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'nas-studio.js'), 'search', '--dataset', dir, '--epochs', '1', '--backend', 'wasm'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${labels}: holds 10 labels but the images file`);
    expect(r.stderr).not.toMatch(/epoch 1|training images \(/); // nothing trained
  });
});
