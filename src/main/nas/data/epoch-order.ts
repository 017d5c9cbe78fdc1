import { Rng } from '../engine/rng';

// What the image Batcher and the SPD batcher share: the order an epoch visits the samples in, fixed by the
// seed and the epoch (Rng.derive(seed, 0, epoch).permutation), and the cursor (epoch, position) that makes
// a batcher resumable — (seed, epoch, position) fixes every future batch.

/** The order each epoch visits `count` samples in; the last epoch's order is kept. */
export class EpochOrder {
  private permEpoch = -1;
  private perm: Int32Array = new Int32Array(0);

  constructor(
    readonly seed: number,
    readonly count: number,
    readonly shuffle: boolean,
  ) {}

  permutation(epoch: number): Int32Array {
    if (epoch === this.permEpoch) return this.perm;
    this.perm = this.shuffle ? Rng.derive(this.seed, 0, epoch).permutation(this.count) : Int32Array.from({ length: this.count }, (_, i) => i);
    this.permEpoch = epoch;
    return this.perm;
  }
}

/** Where a batcher stands: the batch `next()` returns is batch `position` of epoch `epoch`. */
export class EpochCursor {
  epoch = 0;
  position = 0;

  constructor(readonly stepsPerEpoch: number) {}

  /** The batch to return now, as [epoch, index]; then moves on (to the next epoch after its last batch). */
  advance(): [number, number] {
    const at: [number, number] = [this.epoch, this.position];
    this.position++;
    if (this.position >= this.stepsPerEpoch) {
      this.position = 0;
      this.epoch++;
    }
    return at;
  }

  /** The batch `advance()` returned last (before any: the last batch of epoch 0). */
  last(): [number, number] {
    if (this.position > 0) return [this.epoch, this.position - 1];
    return [Math.max(this.epoch - 1, 0), this.stepsPerEpoch - 1];
  }
}
