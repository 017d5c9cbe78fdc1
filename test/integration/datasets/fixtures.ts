import { copyFileSync, createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';

// Real files for the dataset import tests: the built-in demo set laid out as a download usually is, IDX
// bytes, and a gzip bomb written by streaming (it never exists uncompressed, here or on disk).

export const DEMO = resolve(__dirname, '../../../resources/demo-fashion-mnist');

export function idxBytes(typeCode: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = typeCode;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

export const labelsIdx = (values: number[]) => idxBytes(0x08, [values.length], Uint8Array.from(values));
export const imagesIdx = (n: number, h = 28, w = 28) => idxBytes(0x08, [n, h, w], new Uint8Array(n * h * w).map((_, i) => (i * 7) % 256));

export function tempDir(prefix: string): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The demo set as train/images.gz, train/labels.gz, test/images.gz, test/labels.gz (same basenames). */
export function demoAsSplitFolders(root: string): { trainImages: string; trainLabels: string; testImages: string; testLabels: string } {
  for (const split of ['train', 'test']) mkdirSync(join(root, split), { recursive: true });
  const files = {
    trainImages: join(root, 'train', 'images.gz'),
    trainLabels: join(root, 'train', 'labels.gz'),
    testImages: join(root, 'test', 'images.gz'),
    testLabels: join(root, 'test', 'labels.gz'),
  };
  copyFileSync(join(DEMO, 'train-images-idx3-ubyte.gz'), files.trainImages);
  copyFileSync(join(DEMO, 'train-labels-idx1-ubyte.gz'), files.trainLabels);
  copyFileSync(join(DEMO, 't10k-images-idx3-ubyte.gz'), files.testImages);
  copyFileSync(join(DEMO, 't10k-labels-idx1-ubyte.gz'), files.testLabels);
  return files;
}

/**
 * A gzip file whose IDX header declares 10 images of 28×28 (7,840 bytes) followed by `zeros` bytes of zeros
 * (default 512 MB): about 0.5 MB on disk. Written by streaming, so the test itself stays small.
 */
export async function writeGzipBomb(path: string, zeros = 512 * 1024 ** 2): Promise<void> {
  const chunk = Buffer.alloc(1024 ** 2);
  async function* body() {
    yield idxBytes(0x08, [10, 28, 28], new Uint8Array(0));
    for (let left = zeros; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
  }
  await pipeline(Readable.from(body()), createGzip({ level: 9 }), createWriteStream(path));
}

export function writeGz(path: string, bytes: Uint8Array): string {
  writeFileSync(path, gzipSync(bytes));
  return path;
}
