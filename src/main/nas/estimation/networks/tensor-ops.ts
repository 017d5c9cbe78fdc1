import * as tf from '../../engine/tf';
import { avgPool3x3, batchNorm, convBn, dilConv, factorizedReduce, maxPool3x3, reluConvBn, type ForwardContext, type Layer } from '../../engine/layers';
import type { ParamStore } from '../../engine/params';
import type { Rng } from '../../engine/rng';
import { AUX_PREFIX, type NetOps } from './net-ops';

// NetOps over tensors, on the engine's layers (PyTorch padding and BatchNorm semantics, seeded initialisation).
// A layer's parameters are created the first time its name is used and reused after, so one dry forward at
// build time creates every parameter in a fixed order.

/** Data-parallel training: this thread's rows of the whole batch, whose masks every thread draws alike. */
export interface DropPathShard {
  batch: number;
  start: number;
}

export interface TensorForwardOptions {
  ctx: ForwardContext;
  /** Drop-path probability of this step (training only) and the generator that draws the masks. */
  dropPath?: { probability: number; rng: Rng; shard?: DropPathShard } | null;
  /** Count multiply-accumulates of the convolutions and linear layers into `macs`. */
  countMacs?: boolean;
}

const hw = (x: tf.Tensor) => x.shape[1]! * x.shape[2]!;

export class TensorOps implements NetOps<tf.Tensor> {
  macs = 0;

  constructor(
    private readonly params: ParamStore,
    private readonly cache: Map<string, unknown>,
    private readonly options: TensorForwardOptions,
  ) {}

  get training(): boolean {
    return this.options.ctx.training;
  }

  private get ctx(): ForwardContext {
    return this.options.ctx;
  }

  private layer<L>(name: string, make: () => L): L {
    let l = this.cache.get(name) as L | undefined;
    if (!l) {
      l = make();
      this.cache.set(name, l);
    }
    return l;
  }

  private count(macs: number): void {
    if (this.options.countMacs) this.macs += macs;
  }

  shape(x: tf.Tensor): [number, number, number] {
    return [x.shape[1]!, x.shape[2]!, x.shape[3]!];
  }

  convBn(name: string, x: tf.Tensor, cout: number, k: number, stride: number): tf.Tensor {
    const cin = x.shape[3]!;
    const y = this.layer<Layer>(name, () => convBn(this.params, name, cin, cout, k, stride, true))(this.ctx, x as tf.Tensor4D);
    this.count(hw(y) * k * k * cin * cout);
    return y;
  }

  reluConvBn(name: string, x: tf.Tensor, cout: number, k: number, stride: number): tf.Tensor {
    const cin = x.shape[3]!;
    const y = this.layer<Layer>(name, () => reluConvBn(this.params, name, cin, cout, k, stride, true))(this.ctx, x as tf.Tensor4D);
    this.count(hw(y) * k * k * cin * cout);
    return y;
  }

  reluSepConvBn(name: string, x: tf.Tensor, cout: number, k: number, stride: number, dilation: number): tf.Tensor {
    const cin = x.shape[3]!;
    const y = this.layer<Layer>(name, () => dilConv(this.params, name, cin, cout, k, stride, dilation, true))(this.ctx, x as tf.Tensor4D);
    this.count(hw(y) * (k * k * cin + cin * cout));
    return y;
  }

  factorizedReduce(name: string, x: tf.Tensor, cout: number): tf.Tensor {
    const cin = x.shape[3]!;
    const y = this.layer<Layer>(name, () => factorizedReduce(this.params, name, cin, cout, true))(this.ctx, x as tf.Tensor4D);
    this.count(hw(y) * cin * cout);
    return y;
  }

  maxPool3(x: tf.Tensor, stride: number): tf.Tensor {
    return maxPool3x3(stride)(this.ctx, x as tf.Tensor4D);
  }

  avgPool3(x: tf.Tensor, stride: number): tf.Tensor {
    return avgPool3x3(stride)(this.ctx, x as tf.Tensor4D);
  }

  poolConvShortcut(name: string, x: tf.Tensor, cout: number): tf.Tensor {
    const cin = x.shape[3]!;
    const w = this.layer(name, () => this.params.conv(name, 1, 1, cin, cout));
    const y = tf.conv2d(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), w as tf.Tensor4D, 1, 0);
    this.count(hw(y) * cin * cout);
    return y;
  }

  bnRelu(name: string, x: tf.Tensor): tf.Tensor {
    const bn = this.layer(`${name}.bn`, () => this.params.batchNorm(`${name}.bn`, x.shape[3]!, true));
    return tf.relu(batchNorm(this.ctx, x as tf.Tensor4D, bn));
  }

  zeros(_name: string, x: tf.Tensor, stride: number): tf.Tensor {
    const [b, h, w, c] = x.shape as number[];
    return tf.zeros([b, Math.ceil(h / stride), Math.ceil(w / stride), c]);
  }

  add(xs: tf.Tensor[]): tf.Tensor {
    return xs.length === 1 ? xs[0] : tf.addN(xs);
  }

  concat(xs: tf.Tensor[]): tf.Tensor {
    return xs.length === 1 ? xs[0] : tf.concat(xs, 3);
  }

  /** DARTS's drop_path: x / keep · Bernoulli(keep) per sample. */
  dropPath(x: tf.Tensor): tf.Tensor {
    const d = this.options.dropPath;
    if (!this.training || !d || d.probability <= 0) return x;
    const keep = 1 - d.probability;
    const b = x.shape[0]!;
    // A thread of a data-parallel step draws the whole batch's masks, as one thread would, and keeps its rows.
    const { batch, start } = d.shard ?? { batch: b, start: 0 };
    const all = new Float32Array(batch);
    for (let i = 0; i < batch; i++) all[i] = d.rng.bernoulli(keep) ? 1 / keep : 0;
    return tf.mul(x, tf.tensor4d(all.subarray(start, start + b), [b, 1, 1, 1]));
  }

  classifier(name: string, x: tf.Tensor, classes: number): tf.Tensor {
    const cin = x.shape[3]!;
    const { kernel, bias } = this.layer(name, () => this.params.dense(name, cin, classes));
    this.count(cin * classes);
    return tf.add(tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, kernel), bias);
  }

  /**
   * DARTS's AuxiliaryHeadCIFAR: ReLU → 5×5 avg pool (stride 3) → 1×1 conv 128 → BN → ReLU → 2×2 conv 768 → BN →
   * ReLU → linear. On maps smaller than 8×8 the pool and the 2×2 conv shrink to fit; what remains is averaged.
   */
  auxiliaryHead(name: string, x: tf.Tensor, classes: number): tf.Tensor {
    const [h, w, cin] = this.shape(x);
    const pool = Math.min(5, h, w);
    const pooled = tf.avgPool(tf.relu(x) as tf.Tensor4D, pool, 3, 'valid');
    const k2 = Math.min(2, pooled.shape[1], pooled.shape[2]);
    const p = this.layer(`${AUX_PREFIX}${name}`, () => ({
      w1: this.params.conv(`${AUX_PREFIX}conv1`, 1, 1, cin, 128),
      bn1: this.params.batchNorm(`${AUX_PREFIX}bn1`, 128, true),
      w2: this.params.conv(`${AUX_PREFIX}conv2`, k2, k2, 128, 768),
      bn2: this.params.batchNorm(`${AUX_PREFIX}bn2`, 768, true),
      dense: this.params.dense(`${AUX_PREFIX}classifier`, 768, classes),
    }));
    const a = tf.relu(batchNorm(this.ctx, tf.conv2d(pooled, p.w1 as tf.Tensor4D, 1, 0), p.bn1));
    const b = tf.relu(batchNorm(this.ctx, tf.conv2d(a, p.w2 as tf.Tensor4D, 1, 'valid'), p.bn2));
    return tf.add(tf.matMul(tf.mean(b, [1, 2]) as tf.Tensor2D, p.dense.kernel), p.dense.bias);
  }
}
