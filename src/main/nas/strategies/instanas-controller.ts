import * as tf from '../engine/tf';
import { classifierHead, convBn, type ForwardContext, type Layer } from '../engine/layers';
import { ParamStore } from '../engine/params';
import type { Rng } from '../engine/rng';

// InstaNAS's controller for CIFAR-sized inputs (ALGORITHMS.md §6): a small ResNet — a 3×3 stem, then three
// stages of one basic block each with 16/32/64 channels (strides 1, 2, 2) — global average pool, a linear
// layer to blocks × 5 logits, and a sigmoid: one Bernoulli probability per (block, op). Full size on CPU too:
// it costs a fraction of one meta-graph pass.

const STAGES: ReadonlyArray<readonly [channels: number, stride: number]> = [
  [16, 1],
  [32, 2],
  [64, 2],
];

/** ResNet basic block: conv3×3 → BN → ReLU → conv3×3 → BN, plus the input (1×1 conv + BN when the shape changes), → ReLU. */
function residualBlock(p: ParamStore, name: string, cin: number, cout: number, stride: number): Layer {
  const first = convBn(p, `${name}.conv1`, cin, cout, 3, stride, true);
  const second = convBn(p, `${name}.conv2`, cout, cout, 3, 1, true);
  const shortcut = stride !== 1 || cin !== cout ? convBn(p, `${name}.shortcut`, cin, cout, 1, stride, true) : null;
  return (ctx, x) => tf.relu(tf.add(second(ctx, tf.relu(first(ctx, x))), shortcut ? shortcut(ctx, x) : x)) as tf.Tensor4D;
}

/**
 * The controller's starting probability of keeping an op: its output bias starts at logit(p) on top of the
 * seeded uniform init (±1/√64), and at the start the logits hardly vary between images, so about 90% of the
 * (block, op) outputs start on and the rest off.
 *
 * Departure from the reference, whose linear layer starts at PyTorch's default (p ≈ 0.5, about half the ops on):
 * the search starts near the network pretraining trained and validated — every op on — and the reward and the
 * entropy bonus prune it from there. From p ≈ 0.5 the first greedy policies are half-paths that pretraining saw
 * only in its last steps, and on a short budget the controller barely moves from its start: measured on the demo
 * set (7 blocks, 300 images per network, 1 + 2 epochs), those policies kept 36–41% of the ops and reached
 * 9–17% test accuracy while every op on reached 19–31%. Not higher: at p = 0.7 every image took the all-ops path
 * (one policy, the all-ops latency) through a whole short search.
 */
export const INITIAL_KEEP = 0.525;

export class InstanasController {
  readonly params: ParamStore;
  private readonly stem: Layer;
  private readonly blocks: Layer[];
  private readonly head: (x: tf.Tensor4D) => tf.Tensor2D;

  constructor(
    inputChannels: number,
    /** blocks × 5 outputs. */
    readonly outputs: number,
    rng: Rng,
    initialKeep = INITIAL_KEEP,
  ) {
    this.params = new ParamStore(rng);
    const stem = convBn(this.params, 'stem', inputChannels, STAGES[0][0], 3, 1, true);
    this.stem = (ctx, x) => tf.relu(stem(ctx, x));
    let cin = STAGES[0][0];
    this.blocks = STAGES.map(([cout, stride], i) => {
      const block = residualBlock(this.params, `layer${i + 1}`, cin, cout, stride);
      cin = cout;
      return block;
    });
    this.head = classifierHead(this.params, 'fc', cin, outputs);
    const bias = this.params.trainable.get('fc.bias')!;
    bias.assign(tf.tidy(() => tf.add(bias, Math.log(initialKeep / (1 - initialKeep)))));
  }

  /** Probabilities p ∈ (0, 1)^{batch × outputs}. */
  probabilities(ctx: ForwardContext, x: tf.Tensor4D): tf.Tensor2D {
    let h = this.stem(ctx, x);
    for (const block of this.blocks) h = block(ctx, h);
    return tf.sigmoid(this.head(h));
  }

  dispose(): void {
    this.params.dispose();
  }
}
