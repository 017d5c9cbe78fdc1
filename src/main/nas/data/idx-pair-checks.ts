// The checks that make two IDX files an images/labels pair, and two pairs one dataset: shared by the
// whole-file loader (CLI, trainer) and the streamed import, so both refuse exactly the same files.
import { DatasetFileError } from './errors';
import { hexMagic, plural, type IdxType } from './idx-header';

export interface IdxFacts {
  /** The path named in errors (the one the user gave). */
  path: string;
  magic: number;
  type: IdxType;
  dims: number[];
}

export interface PairShape {
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
}

/** Checks kinds and counts of an images file and its labels file from their headers alone. */
export function checkPairHeaders(images: IdxFacts, labels: IdxFacts): Omit<PairShape, 'classes'> {
  if (images.type !== 'uint8' || (images.dims.length !== 3 && images.dims.length !== 4)) {
    const swapped = images.type === 'uint8' && images.dims.length === 1;
    throw new DatasetFileError(
      images.path,
      `not an images file: expected uint8 values in 3 dimensions (magic 0x00000803: count × height × width), ` +
        `found ${images.type} in ${plural(images.dims.length, 'dimension')} (${images.dims.join('×')}, magic ${hexMagic(images.magic)})`,
      swapped ? 'This looks like a labels file; did you swap the images and labels files?' : 'Pick the images file of the pair (e.g. train-images-idx3-ubyte.gz).',
    );
  }
  if (labels.type !== 'uint8' || labels.dims.length !== 1) {
    const swapped = labels.type === 'uint8' && labels.dims.length === 3;
    throw new DatasetFileError(
      labels.path,
      `not a labels file: expected uint8 values in 1 dimension (magic 0x00000801), ` +
        `found ${labels.type} in ${plural(labels.dims.length, 'dimension')} (${labels.dims.join('×')}, magic ${hexMagic(labels.magic)})`,
      swapped ? 'This looks like an images file; did you swap the images and labels files?' : 'Pick the labels file of the pair (e.g. train-labels-idx1-ubyte.gz).',
    );
  }
  const [count, height, width] = images.dims;
  const channels = images.dims.length === 4 ? images.dims[3] : 1;
  if (labels.dims[0] !== count) {
    throw new DatasetFileError(
      labels.path,
      `holds ${plural(labels.dims[0], 'label')} but the images file ${images.path} holds ${plural(count, 'image')}; the counts must be equal`,
      'Pick the labels file that belongs to these images (train with train, test with test).',
    );
  }
  return { count, height, width, channels };
}

/**
 * Checks kinds, counts and label range of an images file and its labels. `classes` defaults to the largest
 * label + 1; when given, every label must be below it.
 */
export function checkIdxPair(images: IdxFacts, labels: IdxFacts, labelValues: Uint8Array, classes?: number): PairShape {
  const { count, height, width, channels } = checkPairHeaders(images, labels);
  let maxLabel = 0;
  for (let i = 0; i < labelValues.length; i++) if (labelValues[i] > maxLabel) maxLabel = labelValues[i];
  if (classes === undefined) return { count, height, width, channels, classes: maxLabel + 1 };
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`checkIdxPair: classes must be a positive integer; got ${classes}.`);
  if (maxLabel >= classes) {
    const at = labelValues.findIndex((v) => v >= classes);
    throw new DatasetFileError(
      labels.path,
      `label out of range: label ${labelValues[at]} at position ${at} but the dataset has ${classes} classes (labels 0..${classes - 1})`,
      'Set the number of classes to match the dataset, or pick the right labels file (the test labels must use the training classes).',
    );
  }
  return { count, height, width, channels, classes };
}

/** The test images must have the training images' shape. */
export function checkSameShape(train: PairShape, testImagesPath: string, test: PairShape): void {
  if (test.height !== train.height || test.width !== train.width || test.channels !== train.channels) {
    throw new DatasetFileError(
      testImagesPath,
      `test images are ${test.height}×${test.width}×${test.channels} but training images are ${train.height}×${train.width}×${train.channels}`,
      'Use the train and test files of the same dataset.',
    );
  }
}
