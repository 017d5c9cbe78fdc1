import * as tf from '../tf';
import { BN_EPS, BN_MOMENTUM, type TrainingBatchNorm } from '../layers';
import type { SharedReducer } from './shared-reducer';

// Synchronised BatchNorm for data-parallel training: each replica holds a shard of the batch, but every BN
// layer normalises with the statistics of the WHOLE batch, so the replicas together compute exactly what one
// thread computes on the full batch (up to float rounding), gradients included.
//
// Forward: each replica's per-channel [count, mean, M2 = Σ(x − mean)²] are gathered and combined in float64
// (Chan et al.'s parallel variance: stable, unlike Σx² − N·mean²), in rank order, so all replicas get the same
// bits. Backward: the BN input gradient needs Σdy and Σdy·x̂ over the whole batch. Each replica's loss is the
// mean over its own shard; in units of the full-batch loss its dy is weight·dy with weight = shard / batch,
// so the replicas sum weight·[Σdy, Σdy·x̂] and turn the result back into their own units by dividing by
// weight. dγ and dβ stay local: the gradient all-reduce weights them like every other gradient.

/** A training-mode BatchNorm that synchronises with the other replicas through `reducer`. */
export function syncedBatchNorm(reducer: SharedReducer, shardWeight: number): TrainingBatchNorm {
  return (ctx, x, bn) => {
    const channels = bn.channels;
    let mean = new Float32Array(0);
    let variance = new Float32Array(0);
    let invStd = new Float32Array(0);
    let total = 0;

    const normalise = tf.customGrad((xIn, gamma, beta, save) => {
      const input = xIn as tf.Tensor4D;
      (save as tf.GradSaveFunc)([input, gamma as tf.Tensor]);
      ({ mean, variance, invStd, total } = globalMoments(reducer, input, channels));
      const value = tf.tidy(() => tf.batchNorm4d(input, tf.tensor1d(mean), tf.tensor1d(variance), beta as tf.Tensor1D, gamma as tf.Tensor1D, BN_EPS));
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [xs, g] = saved as [tf.Tensor4D, tf.Tensor1D];
          const inv = tf.tensor1d(invStd);
          const xHat = tf.mul(tf.sub(xs, tf.tensor1d(mean)), inv);
          const sumDy = tf.sum(dy, [0, 1, 2]);
          const sumDyXHat = tf.sum(tf.mul(dy, xHat), [0, 1, 2]);
          const local = new Float32Array(2 * channels);
          local.set(sumDy.dataSync() as Float32Array, 0);
          local.set(sumDyXHat.dataSync() as Float32Array, channels);
          const global = reducer.allReduceSum(local, shardWeight);
          // Back into this replica's units: (global sums / N) / weight.
          const c1 = new Float32Array(channels);
          const c2 = new Float32Array(channels);
          for (let c = 0; c < channels; c++) {
            c1[c] = global[c]! / total / shardWeight;
            c2[c] = global[channels + c]! / total / shardWeight;
          }
          const dx = tf.mul(tf.mul(g, inv), tf.sub(tf.sub(dy, tf.tensor1d(c1)), tf.mul(xHat, tf.tensor1d(c2))));
          return [dx, sumDyXHat, sumDy];
        });
      return { value, gradFunc };
    });

    const y = normalise(x, bn.gamma, bn.beta) as tf.Tensor4D;
    if (ctx.bnUpdates) {
      // PyTorch semantics, with the whole batch's statistics: identical on every replica.
      const unbiased = Float32Array.from(variance, (v) => (total > 1 ? (v * total) / (total - 1) : v));
      const newMean = tf.tidy(() => tf.keep(bn.runningMean.mul(1 - BN_MOMENTUM).add(tf.tensor1d(mean).mul(BN_MOMENTUM))));
      const newVar = tf.tidy(() => tf.keep(bn.runningVar.mul(1 - BN_MOMENTUM).add(tf.tensor1d(unbiased).mul(BN_MOMENTUM))));
      ctx.bnUpdates.push([bn.runningMean, newMean], [bn.runningVar, newVar]);
    }
    return y;
  };
}

/** The whole batch's per-channel mean and biased variance, from every replica's shard. */
function globalMoments(reducer: SharedReducer, x: tf.Tensor4D, channels: number) {
  const count = x.size / channels;
  const local = new Float64Array(1 + 2 * channels);
  tf.tidy(() => {
    const sum = tf.sum(x, [0, 1, 2]);
    const localMean = tf.div(sum, count);
    const m2 = tf.sum(tf.square(tf.sub(x, localMean)), [0, 1, 2]);
    const s = sum.dataSync();
    const q = m2.dataSync();
    local[0] = count;
    for (let c = 0; c < channels; c++) {
      local[1 + c] = s[c]! / count;
      local[1 + channels + c] = q[c]!;
    }
  });
  const parts = reducer.allGather(local);
  let total = 0;
  const mean64 = new Float64Array(channels);
  for (const p of parts) {
    total += p[0]!;
    for (let c = 0; c < channels; c++) mean64[c] += p[0]! * p[1 + c]!;
  }
  for (let c = 0; c < channels; c++) mean64[c] /= total;
  const m2 = new Float64Array(channels);
  for (const p of parts) {
    for (let c = 0; c < channels; c++) {
      const d = p[1 + c]! - mean64[c]!;
      m2[c] += p[1 + channels + c]! + p[0]! * d * d;
    }
  }
  const mean = Float32Array.from(mean64);
  const variance = Float32Array.from(m2, (v) => v / total);
  const invStd = Float32Array.from(m2, (v) => 1 / Math.sqrt(v / total + BN_EPS));
  return { mean, variance, invStd, total };
}
