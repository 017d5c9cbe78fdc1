// Folders of IDX files in the MNIST-family naming: MNIST, Fashion-MNIST (train-/t10k-), EMNIST
// (emnist-<split>-train-/-test-), KMNIST; gzip or raw.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetFileError } from './errors';
import { loadIdxPair } from './idx';
import type { ImageSet } from './image-set';
import { defaultDemoDatasetDir } from './resources';

export interface IdxPairPaths {
  images: string;
  labels: string;
}

const SPLIT_WORDS = { train: ['train'], test: ['t10k', 'test'] } as const;

/** Finds the images and labels files of one split in a folder (e.g. train-images-idx3-ubyte.gz). */
export function findIdxPair(dir: string, split: 'train' | 'test'): IdxPairPaths {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new DatasetFileError(dir, `cannot list the folder (${(e as Error).message})`, 'Pick a folder that holds the IDX files.');
  }
  const pick = (kind: 'images' | 'labels'): string => {
    const rank = kind === 'images' ? 3 : 1;
    const hits = names
      .filter((n) => {
        const l = n.toLowerCase();
        return SPLIT_WORDS[split].some((w) => l.includes(`${w}-${kind}-idx${rank}-ubyte`) || l.includes(`${w}-${kind}.idx${rank}-ubyte`));
      })
      .sort((a, b) => Number(b.endsWith('.gz')) - Number(a.endsWith('.gz')) || a.localeCompare(b));
    if (hits.length === 0) {
      throw new DatasetFileError(
        dir,
        `no ${split} ${kind} file: expected a name like ${split === 'train' ? 'train' : 't10k'}-${kind}-idx${rank}-ubyte.gz`,
        'Pick the folder that holds the four IDX files of the dataset, with their original names.',
      );
    }
    return join(dir, hits[0]);
  };
  return { images: pick('images'), labels: pick('labels') };
}

/** Loads the train and test splits of an MNIST-family folder. */
export function loadMnistFamily(dir: string, options: { classes?: number } = {}): { train: ImageSet; test: ImageSet } {
  const t = findIdxPair(dir, 'train');
  const v = findIdxPair(dir, 'test');
  const train = loadIdxPair(t.images, t.labels, options);
  const test = loadIdxPair(v.images, v.labels, { classes: options.classes ?? train.classes });
  if (test.height !== train.height || test.width !== train.width || test.channels !== train.channels) {
    throw new DatasetFileError(
      v.images,
      `test images are ${test.height}×${test.width}×${test.channels} but training images are ${train.height}×${train.width}×${train.channels}`,
      'Use the train and test files of the same dataset.',
    );
  }
  return { train, test };
}

/** The built-in demo dataset: 3,000 training and 500 test Fashion-MNIST images, 10 classes. */
export function loadDemoDataset(): { train: ImageSet; test: ImageSet } {
  return loadMnistFamily(defaultDemoDatasetDir(), { classes: 10 });
}
