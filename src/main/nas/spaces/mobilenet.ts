import * as tf from '../engine/tf';
import { ArchMasks } from '../engine/arch-weights';
import { classifierHead, type ForwardContext, type Layer } from '../engine/layers';
import { ParamStore } from '../engine/params';
import type { Rng } from '../engine/rng';
import type { Supernet } from '../engine/supernet';
import type { MobilenetBlock } from '../../../shared/instanas';
import { FALLBACK_OP, MOBILENET_OPS, MOBILENET_OP_SPECS, mobilenetLayout, type MobilenetLayout, type MobilenetSpace, type Policy } from '../../../shared/spaces/mobilenet';
import { candidateOp, convBnRelu } from './mobilenet-ops';

// The InstaNAS meta-graph (ALGORITHMS.md §1.3): stem → blocks of 5 parallel candidate ops → 1×1 head → pool →
// linear. A block combines the ops a policy enables; a stage-first block with none enabled runs op 4, any other
// such block passes its input through. Policies are per instance: a batch of different policies runs in one
// forward as per-sample weights on each op's output.
//
// Two departures from the reference's plain sum, both for the same reason. Where the shape is kept (stride 1,
// in = out) the block adds its input once, a single MobileNetV2 shortcut: the reference gives each inverted
// residual its own, so k enabled ops add k·x and the scale compounds block after block. And the enabled ops'
// outputs are averaged, not summed: a block's output scale no longer depends on how many ops an image's path
// enables. Paths enabling different numbers of ops otherwise differ in activation scale by orders of
// magnitude, which one shared BN cannot serve on a short budget (measured on the CLI's demo run: the sum
// reached 13% validation accuracy after pretraining, the mean 23%). So a block outputs
// [x +] (1/n)·Σ_enabled f_k(x), n the number of enabled ops; nothing enabled gives x, the pass-through rule.

const OPS = MOBILENET_OPS.length;

/** Per-sample masks of a batch of policies, with the empty-block rule already applied. */
export interface PolicyMasks {
  /** [batch, blocks·5]: the weight of the op's output for that sample, 1/n over its n enabled ops, else 0 (a stage-first fallback sets op 4). */
  ops: Float32Array;
  /** [batch, blocks]: 1 where the block passes its input through (nothing enabled, not stage-first). */
  pass: Float32Array;
  batch: number;
}

/** Masks from row-major policies (batch × blocks × 5 bits). */
export function policyMasks(policies: Policy, blocks: readonly Pick<MobilenetBlock, 'stageFirst'>[], batch: number): PolicyMasks {
  const T = blocks.length;
  if (policies.length !== batch * T * OPS) throw new Error(`Expected ${batch} policies of ${T}×${OPS} bits; got ${policies.length} bits.`);
  const ops = new Float32Array(batch * T * OPS);
  const pass = new Float32Array(batch * T);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < T; t++) {
      let any = false;
      for (let k = 0; k < OPS; k++) {
        const i = (b * T + t) * OPS + k;
        if (policies[i]) {
          ops[i] = 1;
          any = true;
        }
      }
      if (!any) {
        if (blocks[t].stageFirst) ops[(b * T + t) * OPS + FALLBACK_OP] = 1;
        else pass[b * T + t] = 1;
      }
      let n = 0;
      for (let k = 0; k < OPS; k++) n += ops[(b * T + t) * OPS + k];
      if (n > 1) for (let k = 0; k < OPS; k++) ops[(b * T + t) * OPS + k] /= n; // the mean of the enabled ops
    }
  }
  return { ops, pass, batch };
}

export interface MetaGraphOptions {
  inputShape: [number, number, number];
  classes: number;
  /** Ops that exist in every block (default all 5); the MobileNetV2-like baseline builds op 0 only. */
  opSet?: readonly number[];
}

export class MobilenetMetaGraph implements Supernet {
  readonly params: ParamStore;
  readonly alphas = new Map<string, tf.Variable>();
  readonly masks = new ArchMasks();
  readonly ops: readonly string[] = MOBILENET_OPS;
  readonly layout: MobilenetLayout;
  readonly opSet: readonly number[];
  readonly inputShape: [number, number, number];
  readonly classes: number;
  private readonly stem: Layer;
  /** [block][op] (null where the op is not in opSet). */
  private readonly blockOps: (Layer | null)[][];
  private readonly head: Layer;
  private readonly classifier: (x: tf.Tensor4D) => tf.Tensor2D;

  constructor(space: Pick<MobilenetSpace, 'widthMult' | 'blocks'>, options: MetaGraphOptions, rng: Rng) {
    const [h, w, c] = options.inputShape;
    if (h !== w) throw new Error(`The mobilenet space takes square images; got ${h}×${w}.`);
    this.inputShape = options.inputShape;
    this.classes = options.classes;
    this.opSet = options.opSet ?? MOBILENET_OPS.map((_, k) => k);
    this.layout = mobilenetLayout(space, h);
    this.params = new ParamStore(rng);
    this.stem = convBnRelu(this.params, 'stem', c, this.layout.stemChannels, 3, 1);
    this.blockOps = this.layout.blocks.map((b) =>
      MOBILENET_OP_SPECS.map((spec, k) => (this.opSet.includes(k) ? candidateOp(this.params, `b${b.index}.op${k}`, spec, b.inChannels, b.outChannels, b.stride) : null)),
    );
    const last = this.layout.blocks[this.layout.blocks.length - 1].outChannels;
    this.head = convBnRelu(this.params, 'head', last, this.layout.headChannels, 1, 1);
    this.classifier = classifierHead(this.params, 'classifier', this.layout.headChannels, options.classes);
  }

  get blocks(): readonly MobilenetBlock[] {
    return this.layout.blocks;
  }

  /** Logits with every built op on (the full meta-graph; phase 1's first half and its validation). */
  forward(ctx: ForwardContext, x: tf.Tensor4D): tf.Tensor2D {
    const weight = 1 / this.opSet.length;
    return this.run(ctx, x, (_t, _k, y) => (weight === 1 ? y : (tf.mul(y, weight) as tf.Tensor4D)), () => null);
  }

  /** Logits with each sample's own policy, as per-sample masks on every op's output. */
  forwardMasked(ctx: ForwardContext, x: tf.Tensor4D, masks: PolicyMasks): tf.Tensor2D {
    const T = this.layout.blocks.length;
    const B = masks.batch;
    if (x.shape[0] !== B) throw new Error(`Masks for ${B} samples, a batch of ${x.shape[0]}.`);
    const opMask = tf.tensor2d(masks.ops, [B, T * OPS]);
    const passMask = tf.tensor2d(masks.pass, [B, T]);
    const column = (m: tf.Tensor2D, j: number) => tf.reshape(tf.slice(m, [0, j], [B, 1]), [B, 1, 1, 1]);
    // Eval mode has no BN statistics to update, so an op no sample uses is skipped (its masked output is 0).
    const used = (t: number, k: number) => ctx.training || anyColumn(masks.ops, T * OPS, t * OPS + k);
    return this.run(
      ctx,
      x,
      (t, k, y) => tf.mul(y, column(opMask, t * OPS + k)) as tf.Tensor4D,
      (t, input) => (this.layout.blocks[t].stageFirst || !anyColumn(masks.pass, T, t) ? null : (tf.mul(input, column(passMask, t)) as tf.Tensor4D)),
      used,
    );
  }

  /** Logits of the sub-network of one policy: only its enabled ops run (every sample takes this policy). */
  forwardPolicy(ctx: ForwardContext, x: tf.Tensor4D, policy: Policy): tf.Tensor2D {
    const m = policyMasks(policy, this.layout.blocks, 1);
    const on = (t: number, k: number) => m.ops[t * OPS + k] > 0;
    return this.run(ctx, x, (t, k, y) => (on(t, k) ? (tf.mul(y, m.ops[t * OPS + k]) as tf.Tensor4D) : null), (t, input) => (m.pass[t] ? input : null), on);
  }

  /** The output of block t on its input h when the policy's bits for this block are `bits` (5 of them). */
  forwardBlock(ctx: ForwardContext, t: number, h: tf.Tensor4D, bits: readonly number[]): tf.Tensor4D {
    const m = policyMasks(bits, [this.layout.blocks[t]], 1);
    const on = (k: number) => m.ops[k] > 0;
    return this.block(ctx, t, h, (_t, k, y) => (on(k) ? (tf.mul(y, m.ops[k]) as tf.Tensor4D) : null), () => (m.pass[0] ? h : null), (_t, k) => on(k));
  }

  /** The output of op k of block t alone on x (latency profiling). */
  runOp(ctx: ForwardContext, t: number, k: number, x: tf.Tensor4D): tf.Tensor4D {
    const op = this.blockOps[t][k];
    if (!op) throw new Error(`Op ${k} is not built in this meta-graph (ops ${this.opSet.join(', ')}).`);
    return op(ctx, x);
  }

  /**
   * The forward pass: `weigh(t, k, y)` turns op k's output into its contribution (null = none), `passThrough`
   * adds the block input's contribution where the block has no shortcut (with one, x is added once anyway);
   * `runs(t, k)` says whether op k must be computed at all.
   */
  private run(
    ctx: ForwardContext,
    x: tf.Tensor4D,
    weigh: (t: number, k: number, y: tf.Tensor4D, x: tf.Tensor4D) => tf.Tensor4D | null,
    passThrough: (t: number, x: tf.Tensor4D) => tf.Tensor4D | null,
    runs: (t: number, k: number) => boolean = () => true,
  ): tf.Tensor2D {
    let h = this.stem(ctx, x);
    for (let t = 0; t < this.layout.blocks.length; t++) h = this.block(ctx, t, h, weigh, passThrough, runs);
    return this.classifier(this.head(ctx, h));
  }

  /** One block of the forward pass (see run): Σ of the ops' contributions, + h once where it has a shortcut. */
  private block(
    ctx: ForwardContext,
    t: number,
    h: tf.Tensor4D,
    weigh: (t: number, k: number, y: tf.Tensor4D, x: tf.Tensor4D) => tf.Tensor4D | null,
    passThrough: (t: number, x: tf.Tensor4D) => tf.Tensor4D | null,
    runs: (t: number, k: number) => boolean,
  ): tf.Tensor4D {
    const block = this.layout.blocks[t];
    const parts: tf.Tensor4D[] = [];
    this.blockOps[t].forEach((op, k) => {
      if (!op || !runs(t, k)) return;
      const y = weigh(t, k, op(ctx, h), h);
      if (y) parts.push(y);
    });
    if (hasShortcut(block)) parts.push(h);
    else {
      const through = passThrough(t, h);
      if (through) parts.push(through);
    }
    if (parts.length === 0) {
      if (block.stageFirst) throw new Error(`Block ${t} starts a stage and has no op to run.`);
      return h; // identity
    }
    return parts.length === 1 ? parts[0] : (tf.addN(parts) as tf.Tensor4D);
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** Whether a block keeps its input's shape, and so adds its input once to the sum of its ops. */
export function hasShortcut(block: Pick<MobilenetBlock, 'stride' | 'inChannels' | 'outChannels'>): boolean {
  return block.stride === 1 && block.inChannels === block.outChannels;
}

function anyColumn(data: Float32Array, width: number, j: number): boolean {
  for (let i = j; i < data.length; i += width) if (data[i]) return true;
  return false;
}

/** The meta-graph of a space config (the space registry's builder). */
export function buildMobilenetMetaGraph(space: MobilenetSpace, inputShape: [number, number, number], classes: number, rng: Rng): MobilenetMetaGraph {
  return new MobilenetMetaGraph(space, { inputShape, classes }, rng);
}
