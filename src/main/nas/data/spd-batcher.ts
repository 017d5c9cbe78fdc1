import { EpochCursor, EpochOrder } from './epoch-order';
import type { SpdSplit } from './spd-import-set';

// Deterministic, resumable mini-batches of SPD matrices, on the same rule as the image Batcher (both use
// epoch-order.ts): epoch e visits the matrices in the order Rng.derive(seed, 0, e).permutation, so (seed,
// epoch, position) fixes every future batch and a resumed search sees exactly the batches an uninterrupted
// one would.
// No augmentation and no normalisation: the matrices go in as they are.

export interface SpdBatch {
  /** batch × 1 × n × n: one SPD matrix (one channel) per sample. */
  x: Float32Array;
  y: Int32Array;
  shape: [number, number, number, number];
}

export interface SpdBatcherState {
  version: 1;
  seed: number;
  epoch: number;
  position: number;
  count: number;
  batchSize: number;
}

export class SpdBatcher {
  readonly stepsPerEpoch: number;
  private readonly order: EpochOrder;
  private readonly cursor: EpochCursor;

  constructor(
    readonly split: SpdSplit,
    readonly size: number,
    readonly batchSize: number,
    readonly seed: number,
    readonly shuffle = true,
  ) {
    if (split.count < 1) throw new Error('The SPD dataset holds no matrices.');
    this.stepsPerEpoch = Math.ceil(split.count / batchSize);
    this.order = new EpochOrder(seed, split.count, shuffle);
    this.cursor = new EpochCursor(this.stepsPerEpoch);
  }

  batchAt(epoch: number, index: number): SpdBatch {
    const perm = this.order.permutation(epoch);
    const indices = perm.slice(index * this.batchSize, Math.min((index + 1) * this.batchSize, perm.length));
    const m = this.size * this.size;
    const x = new Float32Array(indices.length * m);
    const y = new Int32Array(indices.length);
    indices.forEach((src, k) => {
      x.set(this.split.matrices.subarray(src * m, (src + 1) * m), k * m);
      y[k] = this.split.labels[src];
    });
    return { x, y, shape: [indices.length, 1, this.size, this.size] };
  }

  next(): SpdBatch {
    return this.batchAt(...this.cursor.advance());
  }

  /** The batch `next()` returned last (before any: the last batch of epoch 0). */
  lastBatch(): SpdBatch {
    return this.batchAt(...this.cursor.last());
  }

  state(): SpdBatcherState {
    return { version: 1, seed: this.seed, epoch: this.cursor.epoch, position: this.cursor.position, count: this.split.count, batchSize: this.batchSize };
  }

  restore(state: SpdBatcherState): void {
    if (!state || state.version !== 1) throw new Error('Cannot resume the data order: unknown SPD batcher state.');
    if (state.seed !== this.seed || state.count !== this.split.count || state.batchSize !== this.batchSize) {
      throw new Error(`Cannot resume the data order: the checkpoint is for ${state.count} matrices in batches of ${state.batchSize} (seed ${state.seed}), this search has ${this.split.count} in batches of ${this.batchSize} (seed ${this.seed}). Resume with the same dataset and settings.`);
    }
    this.cursor.epoch = state.epoch;
    this.cursor.position = state.position;
  }
}
