// Deterministic, resumable mini-batches as plain typed arrays (the caller turns them into tensors).
//
// Randomness is derived, not streamed: the permutation of epoch e comes from Rng.derive(seed, 0, e) and the
// augmentation of batch b of epoch e from Rng.derive(seed, 1, e, b). So the state (seed, epoch, position)
// fixes every future batch exactly, any batch can be recomputed on its own (batchAt), and a resumed run sees
// the same batches as an uninterrupted one.
//
// Preprocessing (ALGORITHMS.md §4.4): each image is placed in an outputSize canvas of zeros. With randomCrop = p
// the image is zero-padded by p on each side and a random outputSize window is cut (28×28, p = 4 → 36×36 →
// random 32×32); without it the image is centred (28×28 → 32×32 is a zero pad of 2 on each side). With flip
// the window is mirrored left-right with probability ½. Pixels are then normalised: (x/255 − mean[c]) / std[c],
// so padding becomes −mean/std, as in torchvision's RandomCrop(padding) + Normalize.
import { Rng, hashSeed } from '../engine/rng';
import { computeNormalization, imageSize, type ImageSet, type Normalization } from './image-set';
import { EpochCursor, EpochOrder } from './epoch-order';

export interface BatcherOptions {
  batchSize: number;
  seed: number;
  /** Shuffle each epoch with a seeded permutation (default true); false = file order. */
  shuffle?: boolean;
  /** Drop the last incomplete batch of each epoch (default false: every image appears once per epoch). */
  dropLast?: boolean;
  /** [height, width] of the output images (default: the dataset's size). */
  outputSize?: [number, number];
  /** Zero padding on each side before a random crop to outputSize; false/0 = no random crop (centred). */
  randomCrop?: number | false;
  /** Random horizontal flip with probability ½. */
  flip?: boolean;
  /** Normalisation statistics (default: computed from the set with computeNormalization). */
  normalization?: Normalization;
}

/** Search-time augmentation of §4.4: pad 4, random 32×32 crop, random horizontal flip. */
export const SEARCH_AUGMENTATION = Object.freeze({ outputSize: [32, 32] as [number, number], randomCrop: 4, flip: true });
/** Evaluation/validation preprocessing of §4.4: centred zero pad to 32×32, no randomness. */
export const EVAL_PREPROCESSING = Object.freeze({ outputSize: [32, 32] as [number, number], randomCrop: false as const, flip: false });

export interface Batch {
  /** batch × height × width × channels normalised pixels, NHWC. */
  x: Float32Array;
  y: Int32Array;
  shape: [number, number, number, number];
  /** Source index in the ImageSet of each row. */
  indices: Int32Array;
  epoch: number;
  /** Batch number within the epoch. */
  index: number;
}

/** Plain JSON: enough, with the options and the same ImageSet, to continue exactly where the batcher was. */
export interface BatcherState {
  version: 1;
  seed: number;
  /** Current epoch (0-based). */
  epoch: number;
  /** Next batch number within the epoch. */
  position: number;
  /** Fingerprints that guard against resuming on different data or settings. */
  count: number;
  batchSize: number;
  /**
   * The derived generator states of the current epoch (permutation generator, augmentation key). They are
   * implied by seed and epoch; restore() checks them so that a change of generator between app versions is
   * reported instead of silently giving different batches.
   */
  rng: { permutation: number[]; augmentation: number };
}

export class Batcher {
  readonly set: ImageSet;
  readonly batchSize: number;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly pad: number;
  readonly flip: boolean;
  readonly normalization: Normalization;
  /** Batches per epoch. */
  readonly stepsPerEpoch: number;

  private readonly order: EpochOrder;
  private readonly cursor: EpochCursor;
  private readonly lut: Float32Array;

  constructor(set: ImageSet, options: BatcherOptions) {
    const { batchSize, seed } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`Batcher: batchSize must be a positive integer; got ${batchSize}.`);
    if (!Number.isFinite(seed)) throw new Error(`Batcher: seed must be a finite number; got ${seed}.`);
    if (set.count < 1) throw new Error('Batcher: the dataset holds no images.');
    this.set = set;
    this.batchSize = batchSize;
    this.seed = seed;
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    [this.outHeight, this.outWidth] = options.outputSize ?? [set.height, set.width];
    if (!Number.isInteger(this.outHeight) || !Number.isInteger(this.outWidth) || this.outHeight < 1 || this.outWidth < 1) {
      throw new Error(`Batcher: outputSize must be two positive integers; got ${JSON.stringify(options.outputSize)}.`);
    }
    this.pad = options.randomCrop || 0;
    if (!Number.isInteger(this.pad) || this.pad < 0) throw new Error(`Batcher: randomCrop padding must be a non-negative integer; got ${options.randomCrop}.`);
    if (this.pad > 0 && (set.height + 2 * this.pad < this.outHeight || set.width + 2 * this.pad < this.outWidth)) {
      throw new Error(
        `Batcher: a ${set.height}×${set.width} image padded by ${this.pad} is smaller than the ${this.outHeight}×${this.outWidth} crop; increase the padding.`,
      );
    }
    this.flip = options.flip ?? false;
    this.normalization = options.normalization ?? computeNormalization(set);
    const { mean, std } = this.normalization;
    const C = set.channels;
    if (mean.length !== C && mean.length !== 1) throw new Error(`Batcher: ${mean.length} means for ${C} channels.`);
    if (std.length !== C && std.length !== 1) throw new Error(`Batcher: ${std.length} stds for ${C} channels.`);
    this.lut = new Float32Array(256 * C);
    for (let c = 0; c < C; c++) {
      const m = mean.length === 1 ? mean[0] : mean[c];
      const s = std.length === 1 ? std[0] : std[c];
      if (!(s > 0)) throw new Error(`Batcher: std of channel ${c} must be > 0; got ${s}.`);
      for (let v = 0; v < 256; v++) this.lut[c * 256 + v] = (v / 255 - m) / s;
    }
    this.stepsPerEpoch = this.dropLast ? Math.floor(set.count / batchSize) : Math.ceil(set.count / batchSize);
    if (this.stepsPerEpoch === 0) {
      throw new Error(`Batcher: batch size ${batchSize} is larger than the ${set.count} images and dropLast is on, so an epoch has no batches.`);
    }
    this.order = new EpochOrder(seed, set.count, this.shuffle);
    this.cursor = new EpochCursor(this.stepsPerEpoch);
  }

  get epoch(): number {
    return this.cursor.epoch;
  }

  /** Next batch number within the current epoch. */
  get position(): number {
    return this.cursor.position;
  }

  /** The order in which epoch `epoch` visits the images. */
  permutation(epoch: number): Int32Array {
    return this.order.permutation(epoch);
  }

  /** Batch `index` of epoch `epoch`, computed on its own (does not move the batcher). */
  batchAt(epoch: number, index: number): Batch {
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`Batcher: epoch must be a non-negative integer; got ${epoch}.`);
    if (!Number.isInteger(index) || index < 0 || index >= this.stepsPerEpoch) {
      throw new Error(`Batcher: batch ${index} is outside 0..${this.stepsPerEpoch - 1}.`);
    }
    const perm = this.permutation(epoch);
    const start = index * this.batchSize;
    const indices = perm.slice(start, Math.min(start + this.batchSize, perm.length));
    const b = indices.length;
    const { height: H, width: W, channels: C } = this.set;
    const OH = this.outHeight;
    const OW = this.outWidth;
    const x = new Float32Array(b * OH * OW * C);
    const y = new Int32Array(b);
    const rng = this.pad > 0 || this.flip ? Rng.derive(this.seed, 1, epoch, index) : null;
    const size = imageSize(this.set);
    const px = this.set.images;
    const lut = this.lut;
    // Centred placement offset (image row/col = output row/col − offset).
    const centreY = Math.floor((OH - H) / 2);
    const centreX = Math.floor((OW - W) / 2);
    for (let k = 0; k < b; k++) {
      const src = indices[k];
      y[k] = this.set.labels[src];
      let offY = centreY;
      let offX = centreX;
      if (this.pad > 0) {
        // Window top-left in padded coordinates ∈ [0, H + 2p − OH]; image row = out row + cy − p.
        const cy = rng!.int(H + 2 * this.pad - OH + 1);
        const cx = rng!.int(W + 2 * this.pad - OW + 1);
        offY = this.pad - cy;
        offX = this.pad - cx;
      }
      const mirror = this.flip ? rng!.bernoulli(0.5) : false;
      const base = src * size;
      let o = k * OH * OW * C;
      for (let oy = 0; oy < OH; oy++) {
        const iy = oy - offY;
        const rowInside = iy >= 0 && iy < H;
        for (let ox = 0; ox < OW; ox++) {
          const ix = (mirror ? OW - 1 - ox : ox) - offX;
          if (rowInside && ix >= 0 && ix < W) {
            const p = base + (iy * W + ix) * C;
            for (let c = 0; c < C; c++) x[o++] = lut[c * 256 + px[p + c]];
          } else {
            for (let c = 0; c < C; c++) x[o++] = lut[c * 256];
          }
        }
      }
    }
    return { x, y, shape: [b, OH, OW, C], indices, epoch, index };
  }

  /** The next batch; after the last batch of an epoch, moves on to the next epoch. */
  next(): Batch {
    return this.batchAt(...this.cursor.advance());
  }

  /** The batch `next()` returned last (before any was drawn: the last batch of epoch 0). */
  lastBatch(): Batch {
    return this.batchAt(...this.cursor.last());
  }

  /** The remaining batches of the current epoch (the batcher ends at the start of the next epoch). */
  *epochBatches(): Generator<Batch> {
    const epoch = this.cursor.epoch;
    while (this.cursor.epoch === epoch) yield this.next();
  }

  /** Jump to a given epoch and batch (e.g. the start of epoch 5). */
  seek(epoch: number, position = 0): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`Batcher: epoch must be a non-negative integer; got ${epoch}.`);
    if (!Number.isInteger(position) || position < 0 || position >= this.stepsPerEpoch) {
      throw new Error(`Batcher: position ${position} is outside 0..${this.stepsPerEpoch - 1}.`);
    }
    this.cursor.epoch = epoch;
    this.cursor.position = position;
  }

  state(): BatcherState {
    return {
      version: 1,
      seed: this.seed,
      epoch: this.cursor.epoch,
      position: this.cursor.position,
      count: this.set.count,
      batchSize: this.batchSize,
      rng: { permutation: Rng.derive(this.seed, 0, this.cursor.epoch).state(), augmentation: hashSeed(this.seed, 1, this.cursor.epoch) },
    };
  }

  /** A batcher that continues exactly where `state` was taken. The options must match the original run's. */
  static restore(set: ImageSet, options: BatcherOptions, state: BatcherState): Batcher {
    if (!state || state.version !== 1) throw new Error(`Cannot resume the data order: unknown batcher state version ${state?.version}.`);
    if (state.seed !== options.seed) {
      throw new Error(`Cannot resume the data order: the saved state has seed ${state.seed} but the options say ${options.seed}.`);
    }
    if (state.count !== set.count) {
      throw new Error(`Cannot resume the data order: the saved state is for ${state.count} images but this dataset holds ${set.count}. Resume with the same dataset.`);
    }
    if (state.batchSize !== options.batchSize) {
      throw new Error(`Cannot resume the data order: the saved state uses batch size ${state.batchSize} but the options say ${options.batchSize}.`);
    }
    const b = new Batcher(set, options);
    b.seek(state.epoch, state.position);
    const now = b.state().rng;
    if (state.rng && JSON.stringify(state.rng) !== JSON.stringify(now)) {
      throw new Error('Cannot resume the data order: the random generator differs from the one that saved this state, so the batches would differ. Restart the run.');
    }
    return b;
  }
}
