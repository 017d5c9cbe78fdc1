#!/usr/bin/env node
// Builds the built-in demo dataset resources/demo-fashion-mnist/ from Debian's Fashion-MNIST
// (apt-get install dataset-fashion-mnist): a class-balanced subset, the first images of each class in file
// order, 300 per class from the training set (3000) and 50 per class from the test set (500), written as
// gzip IDX files with the original names. Deterministic: the same input gives byte-identical output.
//
//   node scripts/make-demo-dataset.js [sourceDir] [outDir]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync, constants } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const outDir = process.argv[3] ?? join(root, 'resources', 'demo-fashion-mnist');
const CLASSES = 10;

function readIdx(path, expectedMagic) {
  let bytes = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const magic = bytes.readUInt32BE(0);
  if (magic !== expectedMagic) throw new Error(`${path}: magic 0x${magic.toString(16)}, expected 0x${expectedMagic.toString(16)}`);
  const ndims = bytes[3];
  const dims = [];
  for (let i = 0; i < ndims; i++) dims.push(bytes.readUInt32BE(4 + 4 * i));
  const data = bytes.subarray(4 + 4 * ndims);
  if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`${path}: size does not match its header`);
  return { dims, data };
}

function writeIdx(path, magic, dims, data) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  // gzip output carries no timestamp or file name from Node's zlib, so it is reproducible.
  const gz = gzipSync(Buffer.concat([header, data]), { level: constants.Z_BEST_COMPRESSION });
  writeFileSync(path, gz);
  return gz.length;
}

function subset(prefix, perClass) {
  const images = readIdx(join(sourceDir, `${prefix}-images-idx3-ubyte.gz`), 0x803);
  const labels = readIdx(join(sourceDir, `${prefix}-labels-idx1-ubyte.gz`), 0x801);
  const [count, h, w] = images.dims;
  const size = h * w;
  const taken = new Array(CLASSES).fill(0);
  const keep = [];
  for (let i = 0; i < count; i++) {
    const c = labels.data[i];
    if (taken[c] < perClass) {
      taken[c]++;
      keep.push(i);
    }
  }
  if (taken.some((t) => t < perClass)) throw new Error(`${prefix}: not enough images per class (${taken})`);
  const outImages = Buffer.alloc(keep.length * size);
  const outLabels = Buffer.alloc(keep.length);
  keep.forEach((src, k) => {
    images.data.copy(outImages, k * size, src * size, (src + 1) * size);
    outLabels[k] = labels.data[src];
  });
  const a = writeIdx(join(outDir, `${prefix}-images-idx3-ubyte.gz`), 0x803, [keep.length, h, w], outImages);
  const b = writeIdx(join(outDir, `${prefix}-labels-idx1-ubyte.gz`), 0x801, [keep.length], outLabels);
  console.log(`${prefix}: ${keep.length} images (${perClass} per class), ${a + b} bytes gzip`);
  return a + b;
}

mkdirSync(outDir, { recursive: true });
const total = subset('train', 300) + subset('t10k', 50);
console.log(`wrote ${outDir} (${total} bytes)`);
