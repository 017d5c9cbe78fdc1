import * as tf from '../engine/tf';
import type { ForwardContext } from '../engine/layers';
import { expEig, karcherMean, logEig, sparsemax } from '../engine/spd';
import { batchNormSpd, biMap, chain, reEigLayer, type SpdLayer, type SpdParams } from './spd-layers';

// The candidate ops of the SPD space (ALGORITHMS.md §1.4), by name: normal ops keep n×n and C channels,
// reduced ops map n×n to m×m with m = ⌊n/2⌋. Every op maps SPD matrices to SPD matrices.

export interface SpdOpSettings {
  channels: number;
  karcherSteps: number;
  reEigEps: number;
}

/** Identity matrices of size m for a batch shaped like x: the "zero" of the log-Euclidean geometry. */
function identities(x: tf.Tensor4D, m: number): tf.Tensor4D {
  const [b, c] = x.shape;
  return tf.broadcastTo(tf.eye(m), [b, c, m, m]) as tf.Tensor4D;
}

/** LogEig → 2×2 pooling with stride 2 on the matrix → ExpEig: pooling in the tangent space at I. */
function tangentPool(kind: 'avg' | 'max'): SpdLayer {
  return (_ctx, x) => {
    const [b, c, n] = x.shape;
    const m = Math.floor(n / 2);
    const log = tf.reshape(logEig(x), [b * c, n, n, 1]) as tf.Tensor4D;
    // The pooled blocks of a symmetric matrix are again symmetric: block (i, j) is block (j, i) transposed.
    const pooled = kind === 'avg' ? tf.avgPool(log, 2, 2, 'valid') : tf.maxPool(log, 2, 2, 'valid');
    return expEig(tf.reshape(pooled, [b, c, m, m])) as tf.Tensor4D;
  };
}

/** Skip_reduced: two BiMaps to m₁ = ⌊m/2⌋ and m − m₁, combined as the direct sum diag(Y₁, Y₂). */
function directSumReduce(p: SpdParams, name: string, c: number, n: number, m: number): SpdLayer {
  const m1 = Math.floor(m / 2);
  const m2 = m - m1;
  if (m1 < 1) throw new Error(`A reduction cell needs matrices of at least 4×4 to split into a direct sum; got ${n}×${n}. Use fewer reduction cells or a larger matrix size.`);
  const first = biMap(p, `${name}.a`, c, c, n, m1);
  const second = biMap(p, `${name}.b`, c, c, n, m2);
  return (ctx, x) => {
    const y1 = tf.pad(first(ctx, x), [[0, 0], [0, 0], [0, m2], [0, m2]]);
    const y2 = tf.pad(second(ctx, x), [[0, 0], [0, 0], [m1, 0], [m1, 0]]);
    return tf.add(y1, y2) as tf.Tensor4D;
  };
}

/** WeightedPooling: output channel o is the Fréchet mean of the input channels weighted by sparsemax(P)_o. */
function weightedPooling(p: SpdParams, name: string, s: SpdOpSettings): SpdLayer {
  const c = s.channels;
  if (c === 1) return (_ctx, x) => x; // the mean of one matrix is that matrix
  const logits = p.add(`${name}.weights`, tf.zeros([c, c]), 'euclidean');
  return (_ctx, x) => {
    const w = sparsemax(logits as unknown as tf.Tensor2D);
    const byChannel = tf.transpose(x, [1, 0, 2, 3]);
    const outs = Array.from({ length: c }, (_, o) => karcherMean(byChannel, tf.reshape(tf.slice(w, [o, 0], [1, c]), [c]) as tf.Tensor1D, s.karcherSteps));
    return tf.stack(outs, 1) as tf.Tensor4D;
  };
}

/** One candidate op on an edge at matrix size n (a reduced op outputs ⌊n/2⌋). */
export function spdCandidate(p: SpdParams, name: string, op: string, n: number, s: SpdOpSettings): SpdLayer {
  const c = s.channels;
  const m = Math.floor(n / 2);
  const bn = (size: number) => batchNormSpd(p, `${name}.bn`, size, s.karcherSteps);
  const reeig = reEigLayer(s.reEigEps);
  switch (op) {
    case 'none_normal':
      return (_ctx, x) => identities(x, n);
    case 'WeightedPooling_normal':
      return weightedPooling(p, name, s);
    case 'BiMap_0_normal':
      return chain(biMap(p, `${name}.bimap`, c, c, n, n), bn(n));
    case 'BiMap_1_normal':
      return chain(biMap(p, `${name}.bimap`, c, c, n, n), bn(n), reeig);
    case 'BiMap_2_normal':
      return chain(reeig, biMap(p, `${name}.bimap`, c, c, n, n), bn(n));
    case 'Skip_normal':
      return (_ctx, x) => x;
    case 'none_reduced':
      return (_ctx, x) => identities(x, m);
    case 'AvgPooling2_reduced':
      return chain(tangentPool('avg'), bn(m));
    case 'MaxPooling_reduced':
      return chain(tangentPool('max'), bn(m));
    case 'BiMap_1_reduced':
      return chain(reeig, biMap(p, `${name}.bimap`, c, c, n, m), bn(m));
    case 'BiMap_2_reduced':
      return chain(biMap(p, `${name}.bimap`, c, c, n, m), bn(m), reeig);
    case 'Skip_reduced':
      return directSumReduce(p, name, c, n, m);
    default:
      throw new Error(`Unknown SPD op '${op}'.`);
  }
}

/** What a probe (the health metrics) collects from a forward pass. */
export interface SpdProbe {
  /** Karcher residuals of the mixed ops' means. */
  residuals: number[];
  eigMin: number;
  eigMax: number;
}

/**
 * The mixed op (§1.4): the weighted Fréchet mean of the candidates' outputs with w = sparsemax(α_edge). Ops
 * with weight exactly 0 are skipped: they change neither the mean nor, through sparsemax's Jacobian (zero
 * outside the support), the gradient of α.
 */
export function spdMixedOp(
  ctx: ForwardContext,
  x: tf.Tensor4D,
  weights: tf.Tensor1D,
  candidates: readonly SpdLayer[],
  karcherSteps: number,
  onMean?: (xs: tf.Tensor, w: tf.Tensor1D, mean: tf.Tensor) => void,
): tf.Tensor4D {
  const values = weights.dataSync();
  const kept = candidates.flatMap((op, k) => (values[k] > 0 ? [k] : []));
  if (kept.length === 0) throw new Error('sparsemax gave an edge no op with positive weight.');
  if (kept.length === 1) return candidates[kept[0]](ctx, x);
  const xs = tf.stack(kept.map((k) => candidates[k](ctx, x)));
  // Slices, not tf.gather: gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks.
  const w = tf.concat(kept.map((k) => tf.slice(weights, [k], [1]))) as tf.Tensor1D;
  const mean = karcherMean(xs, w, karcherSteps) as tf.Tensor4D;
  onMean?.(xs, w, mean);
  return mean;
}

/** The unweighted Fréchet mean of a node's inputs (the node's "sum"). */
export function spdNode(inputs: tf.Tensor4D[], karcherSteps: number): tf.Tensor4D {
  if (inputs.length === 1) return inputs[0];
  return karcherMean(tf.stack(inputs), tf.fill([inputs.length], 1 / inputs.length) as tf.Tensor1D, karcherSteps) as tf.Tensor4D;
}
