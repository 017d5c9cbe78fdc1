// An in-memory labelled image dataset, plus subsetting and splitting. Plain typed arrays, no tfjs.
import { Rng } from '../engine/rng';

export interface ImageSet {
  /** count × height × width × channels uint8 pixels, row-major NHWC. */
  images: Uint8Array;
  /** One label per image, each < classes. */
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
}

/** Per-channel normalisation: x ↦ (x/255 − mean[c]) / std[c]. */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** Fashion-MNIST statistics used by the SGAS-es search (ALGORITHMS.md §4.4). */
export const FASHION_MNIST_NORMALIZATION: Readonly<Normalization> = Object.freeze({ mean: [0.2859], std: [0.353] });

export function imageSize(set: Pick<ImageSet, 'height' | 'width' | 'channels'>): number {
  return set.height * set.width * set.channels;
}

/** Checks the internal consistency of an ImageSet (sizes agree, labels in range). Throws on the first problem. */
export function validateImageSet(set: ImageSet): void {
  const { count, height, width, channels, classes } = set;
  for (const [k, v] of Object.entries({ count, height, width, channels, classes })) {
    if (!Number.isInteger(v) || v < (k === 'count' ? 0 : 1)) throw new Error(`ImageSet.${k} must be a positive integer; got ${v}.`);
  }
  if (set.images.length !== count * imageSize(set)) {
    throw new Error(`ImageSet holds ${set.images.length} pixel values but ${count}×${height}×${width}×${channels} = ${count * imageSize(set)} were expected.`);
  }
  if (set.labels.length !== count) throw new Error(`ImageSet holds ${set.labels.length} labels for ${count} images.`);
  for (let i = 0; i < count; i++) {
    if (set.labels[i] >= classes) throw new Error(`ImageSet label ${set.labels[i]} at position ${i} is not below the ${classes} classes.`);
  }
}

/** Number of images of each class, indexed by class. */
export function classCounts(set: Pick<ImageSet, 'labels' | 'classes'>): number[] {
  const counts = new Array<number>(set.classes).fill(0);
  for (let i = 0; i < set.labels.length; i++) counts[set.labels[i]]++;
  return counts;
}

/** A new ImageSet holding the given images, in the given order (copies the pixels). */
export function subsetByIndices(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const size = imageSize(set);
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= set.count) throw new Error(`subsetByIndices: index ${i} is outside 0..${set.count - 1}.`);
    images.set(set.images.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = set.labels[i];
  }
  return { images, labels, count: indices.length, height: set.height, width: set.width, channels: set.channels, classes: set.classes };
}

/**
 * Per-class quotas for a class-balanced subset of `limit` images: ⌊limit/classes⌋ each; the remainder goes one
 * image each to classes chosen by `seed` (the lowest class ids without a seed); a class with too few images
 * gives its shortfall to the others.
 */
function balancedQuotas(available: number[], limit: number, seed?: number): number[] {
  const classes = available.length;
  const quotas = new Array<number>(classes).fill(Math.floor(limit / classes));
  let remainder = limit - quotas[0] * classes;
  const order = Array.from({ length: classes }, (_, c) => c);
  if (seed !== undefined) new Rng(seed).shuffle(order);
  for (let k = 0; k < classes && remainder > 0; k++, remainder--) quotas[order[k]]++;
  // Cap at what each class has; hand the shortfall round-robin to classes that still have images.
  let shortfall = 0;
  for (let c = 0; c < classes; c++) {
    if (quotas[c] > available[c]) {
      shortfall += quotas[c] - available[c];
      quotas[c] = available[c];
    }
  }
  while (shortfall > 0) {
    let gave = false;
    for (const c of order) {
      if (shortfall === 0) break;
      if (quotas[c] < available[c]) {
        quotas[c]++;
        shortfall--;
        gave = true;
      }
    }
    if (!gave) break;
  }
  return quotas;
}

/**
 * A class-balanced subset of about `limit` images: the first images of each class in file order, about
 * limit/classes per class. Deterministic; the kept images stay in file order. `seed` only decides which classes
 * get one extra image when `limit` is not a multiple of the class count. With limit ≥ count, returns a copy of
 * the whole set.
 */
export function balancedSubset(set: ImageSet, limit: number, seed?: number): ImageSet {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`balancedSubset: limit must be a positive integer; got ${limit}.`);
  const counts = classCounts(set);
  const quotas = balancedQuotas(counts, Math.min(limit, set.count), seed);
  const taken = new Array<number>(set.classes).fill(0);
  const indices: number[] = [];
  for (let i = 0; i < set.count; i++) {
    const c = set.labels[i];
    if (taken[c] < quotas[c]) {
      taken[c]++;
      indices.push(i);
    }
  }
  return subsetByIndices(set, indices);
}

export interface TrainValSplit {
  train: ImageSet;
  val: ImageSet;
  /** Source indices of each part (ascending), so a run can record exactly which images went where. */
  trainIndices: Int32Array;
  valIndices: Int32Array;
}

/**
 * Deterministic random split: shuffle the indices with `seed`, the first round(portion × count) go to train
 * and the rest to val. Each part keeps file order. DARTS-style search uses portion 0.5.
 */
export function splitTrainVal(set: ImageSet, portion: number, seed: number): TrainValSplit {
  if (!(portion > 0 && portion < 1)) throw new Error(`splitTrainVal: portion must be strictly between 0 and 1; got ${portion}.`);
  const nTrain = Math.round(portion * set.count);
  if (nTrain === 0 || nTrain === set.count) {
    throw new Error(`splitTrainVal: a ${portion} split of ${set.count} images leaves one part empty; use more images.`);
  }
  const perm = new Rng(seed).permutation(set.count);
  const trainIndices = perm.slice(0, nTrain).sort();
  const valIndices = perm.slice(nTrain).sort();
  return { train: subsetByIndices(set, trainIndices), val: subsetByIndices(set, valIndices), trainIndices, valIndices };
}

/** Per-channel mean and standard deviation of x/255 over all pixels (population std). */
export function computeNormalization(set: ImageSet): Normalization {
  const C = set.channels;
  const sum = new Float64Array(C);
  const sumSq = new Float64Array(C);
  // Histogram per channel keeps this exact and fast for uint8 data.
  const hist = new Float64Array(256 * C);
  const px = set.images;
  for (let i = 0; i < px.length; i++) hist[px[i] * C + (i % C)]++;
  const n = px.length / C;
  for (let v = 0; v < 256; v++) {
    const x = v / 255;
    for (let c = 0; c < C; c++) {
      const h = hist[v * C + c];
      sum[c] += h * x;
      sumSq[c] += h * x * x;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < C; c++) {
    const m = n > 0 ? sum[c] / n : 0;
    mean.push(m);
    std.push(n > 0 ? Math.sqrt(Math.max(0, sumSq[c] / n - m * m)) : 1);
  }
  return { mean, std };
}
