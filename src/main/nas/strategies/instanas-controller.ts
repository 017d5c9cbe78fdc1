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
