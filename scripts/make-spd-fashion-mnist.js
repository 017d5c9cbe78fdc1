#!/usr/bin/env node
// A real SPD set from data on this machine: region covariance descriptors (Tuzel, Porikli & Meer, ECCV 2006)
// of Fashion-MNIST images (Debian's dataset-fashion-mnist), written as a folder NAS Studio imports as an SPD
// dataset (`nas-studio search --space spd --dataset FOLDER`, or Datasets → Import SPD matrices…).
//
// Every pixel of a 28×28 image is one observation of 10 features
//   x, y (position in [0, 1]), I (intensity in [0, 1]), I_x, I_y (central differences), |I_x|, |I_y|,
//   |∇I| = √(I_x² + I_y²), |I_xx|, |I_yy| (second differences; pixels outside the image read 0)
// so an image is a 10 × 784 feature sequence F and its descriptor the 10 × 10 SPD matrix of ALGORITHMS §1.4,
//   Σ = (F − mean)(F − mean)ᵀ/(T − 1) + ε·tr(Σ)·I,  ε = 1e-5, T = 784.
// The position features make the descriptor see where the intensity and edges are, not only how strong.
//
// Layout: OUT/train/<k-class>/matrices.npy and OUT/test/<k-class>/matrices.npy, one float64 stack N × 10 × 10
// per class (class folders numbered so that their sorted order is Fashion-MNIST's label order). With
// --sequences, each image is instead one features × time .csv (10 rows × 784 columns) and the importer forms Σ
// (import it as "feature sequences"). The first TRAIN and TEST images of each class in file order are taken:
// deterministic, the same input gives the same files.
//
//   node scripts/make-spd-fashion-mnist.js OUT [--train 120] [--test 50] [--source /usr/share/datasets/fashion-mnist] [--sequences]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const CLASS_NAMES = ['tshirt-top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];
const SIDE = 28;
const FEATURES = 10;
const EPSILON = 1e-5;

function parseArgs(argv) {
  const o = { out: null, train: 120, test: 50, source: '/usr/share/datasets/fashion-mnist', sequences: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sequences') o.sequences = true;
    else if (a === '--train' || a === '--test') o[a.slice(2)] = Number(argv[++i]);
    else if (a === '--source') o.source = argv[++i];
    else if (!a.startsWith('--') && o.out === null) o.out = a;
    else throw new Error(`Unknown argument '${a}'.`);
  }
  if (!o.out) throw new Error('Usage: node scripts/make-spd-fashion-mnist.js OUT [--train N] [--test N] [--source DIR] [--sequences]');
  for (const k of ['train', 'test']) if (!Number.isInteger(o[k]) || o[k] < 1 || o[k] > 1000) throw new Error(`--${k} must be a whole number from 1 to 1000 (images per class).`);
  return o;
}

function readIdx(path, expectedMagic) {
  let bytes = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const magic = bytes.readUInt32BE(0);
  if (magic !== expectedMagic) throw new Error(`${path}: magic 0x${magic.toString(16)}, expected 0x${expectedMagic.toString(16)}`);
  const ndims = bytes[3];
  return bytes.subarray(4 + 4 * ndims);
}

/** The 10 × 784 feature sequence of one image (row-major: feature f at pixel t is seq[f * T + t]). */
export function pixelFeatures(image) {
  const T = SIDE * SIDE;
  const at = (y, x) => (y < 0 || y >= SIDE || x < 0 || x >= SIDE ? 0 : image[y * SIDE + x] / 255);
  const seq = new Float64Array(FEATURES * T);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const t = y * SIDE + x;
      const i = at(y, x);
      const ix = (at(y, x + 1) - at(y, x - 1)) / 2;
      const iy = (at(y + 1, x) - at(y - 1, x)) / 2;
      const ixx = at(y, x + 1) - 2 * i + at(y, x - 1);
      const iyy = at(y + 1, x) - 2 * i + at(y - 1, x);
      const f = [x / (SIDE - 1), y / (SIDE - 1), i, ix, iy, Math.abs(ix), Math.abs(iy), Math.hypot(ix, iy), Math.abs(ixx), Math.abs(iyy)];
      for (let k = 0; k < FEATURES; k++) seq[k * T + t] = f[k];
    }
  }
  return seq;
}

/** ALGORITHMS §1.4: centred covariance over time plus ε·tr(Σ)·I. */
export function covariance(seq, d, T) {
  const mean = new Float64Array(d);
  for (let i = 0; i < d; i++) for (let t = 0; t < T; t++) mean[i] += seq[i * T + t] / T;
  const sigma = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let t = 0; t < T; t++) s += (seq[i * T + t] - mean[i]) * (seq[j * T + t] - mean[j]);
      sigma[i * d + j] = sigma[j * d + i] = s / (T - 1);
    }
  }
  let trace = 0;
  for (let i = 0; i < d; i++) trace += sigma[i * d + i];
  for (let i = 0; i < d; i++) sigma[i * d + i] += EPSILON * trace;
  return sigma;
}

/** A C-order float64 .npy file (format 1.0) of the given shape. */
function npy(values, shape) {
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(values.buffer, values.byteOffset, values.byteLength)]);
}

function writeSplit(out, split, images, labels, perClass, sequences) {
  const T = SIDE * SIDE;
  const picked = CLASS_NAMES.map(() => []);
  for (let k = 0; k < labels.length && picked.some((p) => p.length < perClass); k++) {
    if (picked[labels[k]].length < perClass) picked[labels[k]].push(k);
  }
  picked.forEach((indices, c) => {
    if (indices.length < perClass) throw new Error(`The ${split} set has only ${indices.length} images of class ${CLASS_NAMES[c]}; ask for at most that many.`);
    const dir = join(out, split, `${c}-${CLASS_NAMES[c]}`);
    mkdirSync(dir, { recursive: true });
    const stack = new Float64Array(indices.length * FEATURES * FEATURES);
    indices.forEach((k, n) => {
      const seq = pixelFeatures(images.subarray(k * T, (k + 1) * T));
      if (sequences) {
        const rows = Array.from({ length: FEATURES }, (_, f) => Array.from(seq.subarray(f * T, (f + 1) * T), (v) => v.toPrecision(8)).join(','));
        writeFileSync(join(dir, `${String(k).padStart(5, '0')}.csv`), `${rows.join('\n')}\n`);
      } else {
        stack.set(covariance(seq, FEATURES, T), n * FEATURES * FEATURES);
      }
    });
    if (!sequences) writeFileSync(join(dir, 'matrices.npy'), npy(stack, [indices.length, FEATURES, FEATURES]));
  });
}

// A wrong argument or a missing file is a message and exit code 1, not a stack trace.
try {
  const o = parseArgs(process.argv.slice(2));
  for (const [split, prefix, perClass] of [['train', 'train', o.train], ['test', 't10k', o.test]]) {
    const images = readIdx(join(o.source, `${prefix}-images-idx3-ubyte.gz`), 0x803);
    const labels = readIdx(join(o.source, `${prefix}-labels-idx1-ubyte.gz`), 0x801);
    writeSplit(o.out, split, images, labels, perClass, o.sequences);
  }
  process.stdout.write(`${o.out}: ${CLASS_NAMES.length} classes, ${o.train} training and ${o.test} test ${o.sequences ? 'feature sequences (10 × 784 .csv)' : 'region covariance matrices (10 × 10, float64 .npy)'} per class\n`);
} catch (e) {
  process.stderr.write(`make-spd-fashion-mnist: ${e.message}\n`);
  process.exit(1);
}
