import { Batcher, EVAL_PREPROCESSING, SEARCH_AUGMENTATION, type Batch, type BatcherOptions } from '../data/batcher';
import type { ImageSet, Normalization } from '../data/image-set';
import { Rng, hashSeed } from '../engine/rng';

// A retrain's data: every training image (no w/α split), the §4.4 augmentation plus cutout, and the test split
// in fixed order. Cutout draws from a generator derived from (seed, epoch, batch), so a batch is the same
// whether the run was paused before it or not.

export interface RetrainDataOptions {
  batchSize: number;
  seed: number;
  augment: boolean;
  normalization: Normalization;
  /** Side of the cutout square, or 0 for none. */
  cutout: number;
}

export function retrainBatcherOptions(o: RetrainDataOptions): { train: BatcherOptions; test: BatcherOptions } {
  return {
    train: { batchSize: o.batchSize, seed: hashSeed(o.seed, 12), normalization: o.normalization, ...(o.augment ? SEARCH_AUGMENTATION : {}) },
    test: { batchSize: Math.max(o.batchSize, 128), seed: 0, shuffle: false, normalization: o.normalization, ...(o.augment ? EVAL_PREPROCESSING : {}) },
  };
}

/**
 * DARTS's Cutout: per image, a length×length square centred on a uniformly drawn pixel (clipped at the
 * border) is set to 0 after normalisation. Changes `batch.x` in place.
 */
export function applyCutout(batch: Batch, length: number, seed: number): void {
  if (length <= 0) return;
  const [b, h, w, c] = batch.shape;
  const rng = Rng.derive(seed, 22, batch.epoch, batch.index);
  for (let k = 0; k < b; k++) {
    const cy = rng.int(h);
    const cx = rng.int(w);
    const y0 = Math.max(0, cy - (length >> 1));
    const y1 = Math.min(h, cy + (length >> 1));
    const x0 = Math.max(0, cx - (length >> 1));
    const x1 = Math.min(w, cx + (length >> 1));
    for (let y = y0; y < y1; y++) batch.x.fill(0, ((k * h + y) * w + x0) * c, ((k * h + y) * w + x1) * c);
  }
}

/** The test split in file order, batch by batch. */
export function* testBatches(test: ImageSet, options: BatcherOptions): Generator<Batch> {
  const b = new Batcher(test, options);
  for (let i = 0; i < b.stepsPerEpoch; i++) yield b.batchAt(0, i);
}
