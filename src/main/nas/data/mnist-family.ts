// Folders of IDX files in the MNIST-family naming: MNIST, Fashion-MNIST (train-/t10k-), EMNIST
// (emnist-<split>-train-/-test-), KMNIST; gzip or raw.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetFileError } from './errors';
import { loadIdxPair } from './idx';
import { checkSameShape } from './idx-pair-checks';
import type { ImageSet } from './image-set';
import { defaultDemoDatasetDir } from './resources';

export interface IdxPairPaths {
  images: string;
  labels: string;
}

const SPLIT_WORDS = { train: ['train'], test: ['t10k', 'test'] } as const;

function listFolder(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw new DatasetFileError(dir, `cannot list the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'Pick a folder that holds the IDX files.');
  }
}

function matches(name: string, split: 'train' | 'test', kind: 'images' | 'labels'): boolean {
  const l = name.toLowerCase();
  const rank = kind === 'images' ? 3 : 1;
  return SPLIT_WORDS[split].some((w) => l.includes(`${w}-${kind}-idx${rank}-ubyte`) || l.includes(`${w}-${kind}.idx${rank}-ubyte`));
}

/** Finds the images and labels files of one split in a folder (e.g. train-images-idx3-ubyte.gz). */
export function findIdxPair(dir: string, split: 'train' | 'test'): IdxPairPaths {
  const names = listFolder(dir);
  const pick = (kind: 'images' | 'labels'): string => {
    const rank = kind === 'images' ? 3 : 1;
    const hits = names
      .filter((n) => matches(n, split, kind))
      .sort((x, y) => Number(y.endsWith('.gz')) - Number(x.endsWith('.gz')) || x.localeCompare(y));
    if (hits.length === 0) {
      throw new DatasetFileError(
        dir,
        `no ${split} ${kind} file: expected a name like ${split === 'train' ? 'train' : 't10k'}-${kind}-idx${rank}-ubyte.gz`,
        'Pick the folder that holds the IDX files of the dataset, with their original names.',
      );
    }
    return join(dir, hits[0]);
  };
  return { images: pick('images'), labels: pick('labels') };
}

export interface ValidatedFolder {
  train: IdxPairPaths;
  /** Null when the folder holds no test file at all. */
  test: IdxPairPaths | null;
  shape: [number, number, number];
  classes: number;
  trainCount: number;
  testCount: number;
}

/**
 * Checks every pair in an MNIST-family folder before any training starts, as fully as an import: headers and
 * sizes of all files, counts of each pair, labels within range (test labels within the training classes),
 * test shape equal to the training shape. The test pair is optional, but one test file alone is an error.
 * Errors name the file (DatasetFileError).
 */
export function validateMnistFolder(dir: string, options: { classes?: number } = {}): ValidatedFolder {
  const train = findIdxPair(dir, 'train');
  const trainSet = loadIdxPair(train.images, train.labels, options);
  const summary = { train, shape: [trainSet.height, trainSet.width, trainSet.channels] as [number, number, number], classes: trainSet.classes, trainCount: trainSet.count };
  const names = listFolder(dir);
  const hasTest = names.some((n) => matches(n, 'test', 'images') || matches(n, 'test', 'labels'));
  if (!hasTest) return { ...summary, test: null, testCount: 0 };
  const test = findIdxPair(dir, 'test');
  const testSet = loadIdxPair(test.images, test.labels, { classes: options.classes ?? trainSet.classes });
  checkSameShape(trainSet, test.images, testSet);
  return { ...summary, test, testCount: testSet.count };
}

/** Loads the train and test splits of an MNIST-family folder. */
export function loadMnistFamily(dir: string, options: { classes?: number } = {}): { train: ImageSet; test: ImageSet } {
  const t = findIdxPair(dir, 'train');
  const v = findIdxPair(dir, 'test');
  const train = loadIdxPair(t.images, t.labels, options);
  const test = loadIdxPair(v.images, v.labels, { classes: options.classes ?? train.classes });
  checkSameShape(train, v.images, test);
  return { train, test };
}

/** The built-in demo dataset: 3,000 training and 500 test Fashion-MNIST images, 10 classes. */
export function loadDemoDataset(): { train: ImageSet; test: ImageSet } {
  return loadMnistFamily(defaultDemoDatasetDir(), { classes: 10 });
}
