// An SPD matrix set in memory, and the app's own copy of one on disk. An imported folder (spd-import.ts) and
// a built-in set are both packed into one folder of four .npy arrays plus classes.json, so a run reads any SPD
// set the same way and never depends on the person's original files:
//
//   train-matrices.npy  float32, N × n × n      train-labels.npy  uint8, N
//   test-matrices.npy   float32, M × n × n      test-labels.npy   uint8, M
//   classes.json        { "classNames": [...] }  (label order)
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetFileError } from './errors';
import { npyBytes, parsePackedNpy } from './spd-import-npy';

export interface SpdSplit {
  /** count × size × size float32, row-major, matrices back to back. */
  matrices: Float32Array;
  /** One label per matrix, each < classes. */
  labels: Uint8Array;
  count: number;
}

export interface SpdMatrixSet {
  name: string;
  /** n: every matrix is n × n. */
  size: number;
  classes: number;
  classNames: string[];
  train: SpdSplit;
  test: SpdSplit;
}

const FILES = {
  trainMatrices: 'train-matrices.npy',
  trainLabels: 'train-labels.npy',
  testMatrices: 'test-matrices.npy',
  testLabels: 'test-labels.npy',
  classes: 'classes.json',
} as const;

function packed(set: SpdMatrixSet): [string, Buffer][] {
  const n = set.size;
  return [
    [FILES.trainMatrices, npyBytes([set.train.count, n, n], set.train.matrices)],
    [FILES.trainLabels, npyBytes([set.train.count], set.train.labels)],
    [FILES.testMatrices, npyBytes([set.test.count, n, n], set.test.matrices)],
    [FILES.testLabels, npyBytes([set.test.count], set.test.labels)],
    [FILES.classes, Buffer.from(JSON.stringify({ classNames: set.classNames }) + '\n')],
  ];
}

/** SHA-256 of the packed set: the identity of a set, to recognise a re-import of the same data. */
export function spdSetChecksum(set: SpdMatrixSet): string {
  const hash = createHash('sha256');
  for (const [name, bytes] of packed(set)) hash.update(name).update(bytes);
  return hash.digest('hex');
}

/** Writes the set's packed files into an existing folder (new files only: an existing one is an error). */
export async function writeSpdSetFiles(dir: string, set: SpdMatrixSet): Promise<void> {
  for (const [name, bytes] of packed(set)) await writeFile(join(dir, name), bytes, { flag: 'wx', mode: 0o600 });
}

function splitFrom(dir: string, m: Buffer, l: Buffer, which: 'train' | 'test', n: number, classes: number): SpdSplit {
  const mf = join(dir, which === 'train' ? FILES.trainMatrices : FILES.testMatrices);
  const lf = join(dir, which === 'train' ? FILES.trainLabels : FILES.testLabels);
  const matrices = parsePackedNpy(m, mf);
  const labels = parsePackedNpy(l, lf);
  const count = labels.shape[0];
  if (!(matrices.data instanceof Float32Array) || !(labels.data instanceof Uint8Array) || matrices.data.length !== count * n * n) {
    throw new DatasetFileError(mf, `does not hold ${count} matrices of ${n}×${n} to go with ${lf}`, 'Delete the dataset and import it again.');
  }
  if (labels.data.some((v) => v >= classes)) throw new DatasetFileError(lf, `holds a label outside the ${classes} classes`, 'Delete the dataset and import it again.');
  return { matrices: matrices.data, labels: labels.data, count };
}

function assemble(dir: string, name: string, read: (file: string) => Buffer): SpdMatrixSet {
  let classNames: string[];
  try {
    classNames = (JSON.parse(read(FILES.classes).toString('utf8')) as { classNames: string[] }).classNames;
    if (!Array.isArray(classNames) || classNames.length < 2) throw new Error('no class names');
  } catch (e) {
    if (e instanceof DatasetFileError) throw e;
    throw new DatasetFileError(join(dir, FILES.classes), 'is not a list of class names', 'Delete the dataset and import it again.');
  }
  const trainMatrices = read(FILES.trainMatrices);
  const shape = parsePackedNpy(trainMatrices, join(dir, FILES.trainMatrices)).shape;
  const n = shape[1];
  const classes = classNames.length;
  return {
    name,
    size: n,
    classes,
    classNames,
    train: splitFrom(dir, trainMatrices, read(FILES.trainLabels), 'train', n, classes),
    test: splitFrom(dir, read(FILES.testMatrices), read(FILES.testLabels), 'test', n, classes),
  };
}

function missing(dir: string, file: string): DatasetFileError {
  return new DatasetFileError(join(dir, file), 'is missing or unreadable', 'Delete the dataset and import it again.');
}

/** Reads a packed set (CLI, trainer). */
export function readSpdSetFilesSync(dir: string, name: string): SpdMatrixSet {
  return assemble(dir, name, (file) => {
    try {
      return readFileSync(join(dir, file));
    } catch {
      throw missing(dir, file);
    }
  });
}

/** Reads a packed set without blocking the server's event loop while the files load. */
export async function readSpdSetFiles(dir: string, name: string): Promise<SpdMatrixSet> {
  const files = new Map<string, Buffer>();
  for (const f of Object.values(FILES)) {
    const bytes = await readFile(join(dir, f)).catch(() => null);
    if (bytes) files.set(f, bytes);
  }
  return assemble(dir, name, (file) => files.get(file) ?? (() => { throw missing(dir, file); })());
}

/** Number of matrices of each class in a split, indexed by label. */
export function spdClassCounts(split: SpdSplit, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const l of split.labels) counts[l]++;
  return counts;
}
