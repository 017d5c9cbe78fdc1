import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIdxPair, readIdx, idxValues } from '../../../../src/main/nas/data/idx';
import { DatasetFileError } from '../../../../src/main/nas/data/errors';
import { classCounts, balancedSubset } from '../../../../src/main/nas/data/image-set';
import { defaultDemoDatasetDir } from '../../../../src/main/nas/data/resources';
import { findIdxPair, loadDemoDataset, loadMnistFamily } from '../../../../src/main/nas/data/mnist-family';

const FMNIST = '/usr/share/datasets/fashion-mnist';
const f = (name: string) => join(FMNIST, name);
const DEMO = resolve(__dirname, '../../../../resources/demo-fashion-mnist');

function idxBytes(typeCode: number, dims: number[], data: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = typeCode;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

describe('readIdx on the real Fashion-MNIST files (Debian dataset-fashion-mnist)', () => {
  it('reads the 60000×28×28 training images', () => {
    const file = readIdx(f('train-images-idx3-ubyte.gz'));
    expect(file.magic).toBe(0x803);
    expect(file.type).toBe('uint8');
    expect(file.dims).toEqual([60000, 28, 28]);
    expect(file.data.length).toBe(60000 * 28 * 28);
    // Real pixels: the full range is used, and the raw file agrees byte for byte.
    let max = 0;
    for (let i = 0; i < 784 * 100; i++) max = Math.max(max, file.data[i]);
    expect(max).toBe(255);
    const raw = gunzipSync(readFileSync(f('train-images-idx3-ubyte.gz')));
    expect(Buffer.from(file.data.subarray(0, 784)).equals(raw.subarray(16, 16 + 784))).toBe(true);
  });

  it('loads the training pair: labels 0..9, 6000 per class', () => {
    const set = loadIdxPair(f('train-images-idx3-ubyte.gz'), f('train-labels-idx1-ubyte.gz'), { classes: 10 });
    expect([set.count, set.height, set.width, set.channels, set.classes]).toEqual([60000, 28, 28, 1, 10]);
    expect(classCounts(set)).toEqual(new Array(10).fill(6000));
    // The first training labels of Fashion-MNIST are 9 (ankle boot), 0, 0, 3.
    expect(Array.from(set.labels.subarray(0, 4))).toEqual([9, 0, 0, 3]);
  });

  it('loads the test pair: 10000 images, 1000 per class, classes inferred', () => {
    const set = loadIdxPair(f('t10k-images-idx3-ubyte.gz'), f('t10k-labels-idx1-ubyte.gz'));
    expect(set.count).toBe(10000);
    expect(set.classes).toBe(10);
    expect(classCounts(set)).toEqual(new Array(10).fill(1000));
  });

  it('reads the same data from a raw (uncompressed) copy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idx-raw-'));
    try {
      const raw = gunzipSync(readFileSync(f('t10k-labels-idx1-ubyte.gz')));
      writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), raw);
      const a = readIdx(join(dir, 't10k-labels-idx1-ubyte'));
      const b = readIdx(f('t10k-labels-idx1-ubyte.gz'));
      expect(a.dims).toEqual([10000]);
      expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the built-in demo dataset', () => {
  it('is found from the source tree', () => {
    expect(resolve(defaultDemoDatasetDir())).toBe(DEMO);
  });

  it('holds the first 300 training and 50 test images of each class, pixel-identical to the originals', () => {
    for (const [prefix, perClass] of [['train', 300], ['t10k', 50]] as const) {
      const demo = loadIdxPair(join(DEMO, `${prefix}-images-idx3-ubyte.gz`), join(DEMO, `${prefix}-labels-idx1-ubyte.gz`), { classes: 10 });
      expect(demo.count).toBe(perClass * 10);
      expect(classCounts(demo)).toEqual(new Array(10).fill(perClass));
      const full = loadIdxPair(f(`${prefix}-images-idx3-ubyte.gz`), f(`${prefix}-labels-idx1-ubyte.gz`), { classes: 10 });
      const expected = balancedSubset(full, perClass * 10);
      expect(Buffer.from(demo.labels).equals(Buffer.from(expected.labels))).toBe(true);
      expect(Buffer.from(demo.images).equals(Buffer.from(expected.images))).toBe(true);
    }
  });

  it('loads through the folder helpers, which find the files by their standard names', () => {
    const { train, test } = loadDemoDataset();
    expect([train.count, test.count, train.classes, test.classes]).toEqual([3000, 500, 10, 10]);
    expect(findIdxPair(FMNIST, 'test')).toEqual({ images: f('t10k-images-idx3-ubyte.gz'), labels: f('t10k-labels-idx1-ubyte.gz') });
    expect(loadMnistFamily(FMNIST).test.count).toBe(10000);
    expect(() => findIdxPair(tmpdir(), 'train')).toThrow(/no train images file/);
  });

  it('is small enough to ship (< 2.5 MB)', () => {
    const total = ['train-images', 'train-labels', 't10k-images', 't10k-labels']
      .map((p) => readFileSync(join(DEMO, `${p}-idx${p.endsWith('images') ? 3 : 1}-ubyte.gz`)).length)
      .reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(2.5e6);
  });
});

describe('bad IDX inputs give errors that name the file and the problem', () => {
  let dir = '';
  const write = (name: string, bytes: Uint8Array | string) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const images = (n: number) => idxBytes(0x08, [n, 2, 2], new Uint8Array(n * 4).map((_, i) => i % 256));
  const labels = (values: number[]) => idxBytes(0x08, [values.length], Uint8Array.from(values));

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'idx-bad-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function errorOf(fn: () => unknown): DatasetFileError {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(DatasetFileError);
      return e as DatasetFileError;
    }
    throw new Error('expected an error');
  }

  it('accepts a well-formed small pair (control)', () => {
    const set = loadIdxPair(write('ok-images.gz', gzipSync(images(3))), write('ok-labels', labels([0, 2, 1])), { classes: 3 });
    expect(set.count).toBe(3);
    expect(Array.from(set.images.subarray(4, 8))).toEqual([4, 5, 6, 7]);
  });

  it('wrong magic number', () => {
    const bytes = images(2);
    bytes[2] = 0x07; // not a type code
    const p = write('wrong-magic-images.gz', gzipSync(bytes));
    const e = errorOf(() => readIdx(p));
    expect(e.message).toContain('wrong-magic-images.gz');
    expect(e.message).toMatch(/is not an IDX file \(bad magic number\)/);
    expect(e.message).toContain('0x00000803'); // the expected magic, as an example
    expect(e.message).not.toMatch(/0x00000703|00 00 07 02/); // never the file's own bytes
  });

  it('a text file (e.g. /etc/shadow picked by mistake) is refused without echoing any of its bytes', () => {
    const content = 'root:$6$saltsalt$hash:19000:0:99999:7:::\n';
    const p = write('shadow', content);
    const e = errorOf(() => readIdx(p));
    expect(e.message).toContain(p);
    expect(e.message).toMatch(/is not an IDX file \(bad magic number\)/);
    const hex = Buffer.from(content.slice(0, 4)).toString('hex');
    for (const leak of ['root', hex, hex.match(/../g)!.join(' '), `0x${hex}`]) expect(e.message).not.toContain(leak);
  });

  it('a gzip whose data runs past the declared size is refused without decompressing it all', () => {
    // Declares 2 images of 2×2 (8 bytes) but expands to 64 MB.
    const p = write('bomb-images.gz', gzipSync(Buffer.concat([idxBytes(0x08, [2, 2, 2], new Uint8Array(8)), Buffer.alloc(64 * 1024 ** 2)])));
    const before = process.memoryUsage().arrayBuffers;
    const e = errorOf(() => readIdx(p));
    expect(e.message).toContain('bomb-images.gz');
    expect(e.message).toMatch(/decompresses to more data than its header declares \(2 images of 2×2, 8 bytes\)/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 ** 2);
  });

  it('a folder, a FIFO and a device are refused by name before any read', () => {
    expect(errorOf(() => readIdx(dir)).message).toContain(`${dir}: is a folder`);
    expect(errorOf(() => readIdx('/dev/zero')).message).toContain('/dev/zero: is a device, not a regular file');
    const fifo = join(dir, 'pipe-images');
    execFileSync('mkfifo', [fifo]);
    // Opening a FIFO for reading would block this test forever; the check must come first.
    expect(errorOf(() => readIdx(fifo)).message).toContain(`${fifo}: is a named pipe (FIFO)`);
  });

  it('truncated file, with the wording of the spec', () => {
    const full = labels(new Array(60000).fill(1));
    const p = write('train-labels.gz', gzipSync(full.subarray(0, full.length - 10)));
    const e = errorOf(() => readIdx(p));
    expect(e.message).toContain('train-labels.gz: truncated: header says 60000 labels');
    expect(e.message).toContain('but the file holds 59990 bytes of data. Re-download the file.');
  });

  it('truncated gzip stream', () => {
    const gz = gzipSync(images(50));
    const p = write('cut-images.gz', gz.subarray(0, gz.length - 30));
    const e = errorOf(() => readIdx(p));
    expect(e.message).toContain('cut-images.gz');
    expect(e.message).toMatch(/gzip data is corrupt or truncated/);
  });

  it('extra bytes after the data', () => {
    const p = write('extra-images', Buffer.concat([images(2), Buffer.from([1, 2, 3])]));
    const e = errorOf(() => readIdx(p));
    expect(e.message).toContain('extra-images');
    expect(e.message).toMatch(/3 extra bytes after the data: header says 2 images of 2×2/);
  });

  it('labels and images counts differ', () => {
    const im = write('n-images.gz', gzipSync(images(4)));
    const lb = write('n-labels.gz', gzipSync(labels([0, 1, 2])));
    const e = errorOf(() => loadIdxPair(im, lb, { classes: 3 }));
    expect(e.message).toContain('n-labels.gz');
    expect(e.message).toMatch(/holds 3 labels but the images file .*n-images\.gz holds 4 images/);
  });

  it('label out of range', () => {
    const im = write('r-images.gz', gzipSync(images(3)));
    const lb = write('r-labels.gz', gzipSync(labels([0, 10, 4])));
    const e = errorOf(() => loadIdxPair(im, lb, { classes: 10 }));
    expect(e.message).toContain('r-labels.gz');
    expect(e.message).toMatch(/label out of range: label 10 at position 1 .* 10 classes/);
  });

  it('not gzip but named .gz', () => {
    const p = write('page-images-idx3-ubyte.gz', '<html><body>404 Not Found</body></html>');
    const e = errorOf(() => readIdx(p));
    expect(e.message).toContain('page-images-idx3-ubyte.gz');
    expect(e.message).toMatch(/not a gzip file/);
    expect(e.message).toMatch(/1f 8b/);
    expect(e.message).not.toMatch(/3c 68|<html/); // the file's own bytes are not quoted
  });

  it('a raw IDX file named .gz is still read (gzip is detected by content)', () => {
    const p = write('raw-named.gz', labels([1, 2]));
    expect(Array.from(readIdx(p).data)).toEqual([1, 2]);
  });

  it('empty file', () => {
    const p = write('empty-labels.gz', new Uint8Array(0));
    const e = errorOf(() => readIdx(p));
    expect(e.message).toContain('empty-labels.gz');
    expect(e.message).toMatch(/empty/);
  });

  it('missing file', () => {
    const e = errorOf(() => readIdx(join(dir, 'nope.gz')));
    expect(e.message).toContain('nope.gz: file not found');
  });

  it('a zero-sized dimension', () => {
    const p = write('zero-dim', idxBytes(0x08, [0, 28, 28], new Uint8Array(0)));
    const e = errorOf(() => readIdx(p));
    expect(e.message).toContain('zero-dim');
    expect(e.message).toMatch(/dimension 1 of 3 has size 0/);
  });

  it('images and labels swapped', () => {
    const im = write('s-images.gz', gzipSync(images(3)));
    const lb = write('s-labels.gz', gzipSync(labels([0, 1, 2])));
    const e = errorOf(() => loadIdxPair(lb, im));
    expect(e.message).toContain('s-labels.gz');
    expect(e.message).toMatch(/not an images file.*swap/);
  });

  it('other IDX types and ranks are read generally', () => {
    const data = Buffer.alloc(3 * 4);
    [1.5, -2, 1e6].forEach((v, i) => data.writeFloatBE(v, 4 * i));
    const p = write('floats.idx', idxBytes(0x0d, [3], data));
    const file = readIdx(p);
    expect(file.type).toBe('float32');
    expect(Array.from(idxValues(file))).toEqual([1.5, -2, 1e6]);
    expect(existsSync(p)).toBe(true);
  });
});
