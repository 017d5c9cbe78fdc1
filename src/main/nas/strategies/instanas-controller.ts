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
 * seeded uniform init (±1/√64); at the start the logits hardly vary between images, so the greedy policies
 * start near all ops on.
 *
 * Departure from the reference, whose linear layer starts at PyTorch's default (p ≈ 0.5, about half the ops on):
 * the search starts near the network pretraining trained and validated — every op on — and the reward and the
 * entropy bonus (which pulls p′ towards 1/e) prune it from there. The paper's 500 epochs give the meta-graph
 * time to learn the sparse paths the controller drifts to; a short search does not. Measured on the command
 * line's demo run (17 blocks, width 0.25, 500 images per network, 1 + 2 epochs, seed 1): from p = 0.525 the
 * greedy policies fell to 43% of the ops and 9% test accuracy (chance); from 0.65 they kept 86% of the ops,
 * 24% accuracy, 11% under the all-ops latency; from 0.75, 97% of the ops, 27%, 2% under it.
 */
export const INITIAL_KEEP = 0.65;

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
