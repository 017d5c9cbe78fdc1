import * as tf from './tf';
import type { BnParams, ParamStore } from './params';

// Layers as plain functions over tensors (NHWC). Padding follows PyTorch: symmetric numeric padding, so a
// stride-2 3×3 conv or pool on an even size centres its windows exactly as the reference code does.

/** Per-forward context: training mode and where BatchNorm puts its running-statistic updates. */
export interface ForwardContext {
  training: boolean;
  /** [variable, new value] pairs; the caller assigns them after the step (kept outside the gradient scope). */
  bnUpdates: Array<[tf.Variable, tf.Tensor]> | null;
  /**
   * Training-mode BatchNorm replacing the local one: data-parallel training normalises with the statistics of
   * the whole batch across replicas (parallel/sync-bn.ts). Absent: this batch's own statistics.
   */
  bnSync?: TrainingBatchNorm;
}

/** A training-mode BatchNorm (same contract as `batchNorm` with ctx.training: running updates into ctx.bnUpdates). */
export type TrainingBatchNorm = (ctx: ForwardContext, x: tf.Tensor4D, bn: BnParams) => tf.Tensor4D;

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

const r1 = (v: tf.Variable | null) => (v ?? undefined) as tf.Tensor1D | undefined;

export function batchNorm(ctx: ForwardContext, x: tf.Tensor4D, bn: BnParams): tf.Tensor4D {
  if (!ctx.training) {
    return tf.batchNorm4d(x, r1(bn.runningMean)!, r1(bn.runningVar)!, bn.beta, bn.gamma, BN_EPS);
  }
  if (ctx.bnSync) return ctx.bnSync(ctx, x, bn);
  // Not tf.moments: its internal same-dtype cast breaks tfjs's backward pass ("reading 'clone'").
  const mean = tf.mean(x, [0, 1, 2]);
  const variance = tf.mean(tf.square(tf.sub(x, mean)), [0, 1, 2]);
  if (ctx.bnUpdates) {
    const n = x.size / bn.channels;
    const unbiased = n > 1 ? variance.mul(n / (n - 1)) : variance;
    // PyTorch semantics: running = (1 − m)·running + m·batch, with the unbiased batch variance.
    const newMean = tf.keep(bn.runningMean.mul(1 - BN_MOMENTUM).add(mean.mul(BN_MOMENTUM)));
    const newVar = tf.keep(bn.runningVar.mul(1 - BN_MOMENTUM).add(unbiased.mul(BN_MOMENTUM)));
    ctx.bnUpdates.push([bn.runningMean, newMean], [bn.runningVar, newVar]);
  }
  return tf.batchNorm4d(
    x,
    mean as tf.Tensor1D,
    variance as tf.Tensor1D,
    bn.beta,
    bn.gamma,
    BN_EPS,
  );
}

export function applyBnUpdates(updates: Array<[tf.Variable, tf.Tensor]>): void {
  for (const [v, value] of updates) {
    v.assign(value);
    value.dispose();
  }
  updates.length = 0;
}

export type Layer = (ctx: ForwardContext, x: tf.Tensor4D) => tf.Tensor4D;

function conv(x: tf.Tensor4D, w: tf.Variable, stride: number, pad: number): tf.Tensor4D {
  return tf.conv2d(x, w as tf.Tensor4D, stride, pad);
}

/**
 * Depthwise conv with PyTorch padding. A dilated one runs as atrous convolution (space-to-batch → plain
 * depthwise → batch-to-space): tfjs has no gradient for dilated depthwise convs, and the rearrangement is
 * exact (each sub-grid of the input sees only its own taps). Stride > 1 is applied by subsampling the stride-1
 * output, which selects exactly the windows a strided dilated conv computes.
 */
export function depthwise(x: tf.Tensor4D, w: tf.Variable, stride: number, pad: number, dilation: number): tf.Tensor4D {
  if (dilation === 1) return tf.depthwiseConv2d(x, w as tf.Tensor4D, stride, pad);
  const [, h, wd] = x.shape;
  const extra: [number, number][] = [
    [0, (dilation - (h % dilation)) % dilation],
    [0, (dilation - (wd % dilation)) % dilation],
  ];
  const k = w.shape[0];
  const grid = tf.spaceToBatchND(x, [dilation, dilation], extra);
  const y = tf.depthwiseConv2d(grid, w as tf.Tensor4D, 1, (k - 1) / 2);
  const full = tf.batchToSpaceND(y, [dilation, dilation], extra) as tf.Tensor4D;
  return stride === 1 ? full : subsample(full, stride);
}

/** x[:, ::s, ::s, :] built from pad/reshape/slice, which (unlike stridedSlice) have gradients in tfjs. */
export function subsample(x: tf.Tensor4D, s: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const oh = Math.ceil(h / s);
  const ow = Math.ceil(w / s);
  const padded = oh * s === h && ow * s === w ? x : tf.pad(x, [[0, 0], [0, oh * s - h], [0, ow * s - w], [0, 0]]);
  const grid = tf.reshape(padded, [b, oh, s, ow, s, c]);
  return tf.reshape(tf.slice(grid, [0, 0, 0, 0, 0, 0], [b, oh, 1, ow, 1, c]), [b, oh, ow, c]);
}

/** ReLU → k×k conv → BN. */
export function reluConvBn(p: ParamStore, name: string, cin: number, cout: number, k: number, stride: number, affine: boolean): Layer {
  const w = p.conv(`${name}.conv`, k, k, cin, cout);
  const bn = p.batchNorm(`${name}.bn`, cout, affine);
  const pad = (k - 1) / 2;
  return (ctx, x) => batchNorm(ctx, conv(tf.relu(x), w, stride, pad), bn);
}

/** conv → BN without the leading ReLU (stems). */
export function convBn(p: ParamStore, name: string, cin: number, cout: number, k: number, stride: number, affine: boolean): Layer {
  const w = p.conv(`${name}.conv`, k, k, cin, cout);
  const bn = p.batchNorm(`${name}.bn`, cout, affine);
  return (ctx, x) => batchNorm(ctx, conv(x, w, stride, (k - 1) / 2), bn);
}

/** ReLU → depthwise k×k (dilation d) → pointwise 1×1 → BN: DARTS's dil_conv, and half of sep_conv. */
export function dilConv(
  p: ParamStore,
  name: string,
  cin: number,
  cout: number,
  k: number,
  stride: number,
  dilation: number,
  affine: boolean,
): Layer {
  const dw = p.depthwise(`${name}.dw`, k, k, cin);
  const pw = p.conv(`${name}.pw`, 1, 1, cin, cout);
  const bn = p.batchNorm(`${name}.bn`, cout, affine);
  const pad = (dilation * (k - 1)) / 2;
  return (ctx, x) => batchNorm(ctx, conv(depthwise(tf.relu(x), dw, stride, pad, dilation), pw, 1, 0), bn);
}

/** DARTS sep_conv: two stacked dil_conv blocks with dilation 1; only the first is strided. */
export function sepConv(p: ParamStore, name: string, cin: number, cout: number, k: number, stride: number, affine: boolean): Layer {
  const first = dilConv(p, `${name}.0`, cin, cin, k, stride, 1, affine);
  const second = dilConv(p, `${name}.1`, cin, cout, k, 1, 1, affine);
  return (ctx, x) => second(ctx, first(ctx, x));
}

/** ReLU, then two stride-2 1×1 convs (on x and on x shifted by one pixel), concatenated, then BN. */
export function factorizedReduce(p: ParamStore, name: string, cin: number, cout: number, affine: boolean): Layer {
  if (cout % 2 !== 0) throw new Error(`FactorizedReduce needs an even number of output channels; got ${cout}.`);
  const w1 = p.conv(`${name}.conv1`, 1, 1, cin, cout / 2);
  const w2 = p.conv(`${name}.conv2`, 1, 1, cin, cout / 2);
  const bn = p.batchNorm(`${name}.bn`, cout, affine);
  return (ctx, x) => {
    const r = tf.relu(x);
    const [b, h, w, c] = r.shape;
    const shifted = tf.pad(tf.slice(r, [0, 1, 1, 0], [b, h - 1, w - 1, c]), [
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
    ]) as tf.Tensor4D;
    return batchNorm(ctx, tf.concat([conv(r, w1, 2, 0), conv(shifted, w2, 2, 0)], 3), bn);
  };
}

export function maxPool3x3(stride: number): Layer {
  return (_ctx, x) => tf.maxPool(x, 3, stride, 1);
}

const divisorCache = new Map<string, tf.Tensor4D>();

/**
 * 3×3 average pool, pad 1, padded cells not counted (PyTorch `count_include_pad=False`). At stride 1 tfjs's
 * 'same' pool is exactly that (one kernel; its gradient is the corrected AvgPoolGrad of engine/kernels). At
 * stride 2 'same' would pad (0, 1) instead of (1, 1) and shift every window, so that case pads explicitly.
 */
export function avgPool3x3(stride: number): Layer {
  if (stride === 1) return (_ctx, x) => tf.avgPool(x, 3, 1, 'same');
  return (_ctx, x) => {
    const [, h, w] = x.shape;
    const summed = tf.mul(tf.avgPool(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, stride, 'valid'), 9);
    return tf.div(summed, poolDivisor(h, w, stride));
  };
}

/** Number of real (unpadded) input cells under each window; constant per shape, so cached and kept. */
function poolDivisor(h: number, w: number, stride: number): tf.Tensor4D {
  const key = `${h}x${w}/${stride}@${tf.getBackend()}`;
  let d = divisorCache.get(key);
  if (!d || d.isDisposed) {
    d = tf.tidy(() =>
      tf.keep(tf.mul(tf.avgPool(tf.pad(tf.ones([1, h, w, 1]), [[0, 0], [1, 1], [1, 1], [0, 0]]) as tf.Tensor4D, 3, stride, 'valid'), 9)),
    ) as tf.Tensor4D;
    divisorCache.set(key, d);
  }
  return d;
}

export function identity(): Layer {
  return (_ctx, x) => x;
}

/** Dense head: global average pool → linear. */
export function classifierHead(p: ParamStore, name: string, channels: number, classes: number) {
  const { kernel, bias } = p.dense(name, channels, classes);
  return (x: tf.Tensor4D): tf.Tensor2D => tf.add(tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, kernel), bias);
}
