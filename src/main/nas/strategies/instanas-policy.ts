import * as tf from '../engine/tf';
import type { Rng } from '../engine/rng';

// The controller's decision rules (ALGORITHMS.md §6, phase 2), as small functions the property tests of §9
// check one by one: bounded probabilities, the latency reward and its window, the self-critical loss, and the
// shuffle of the fine-tuning pass.

/** Exploration bound: p′ = a·p + (1 − a)(1 − p), so p′ ∈ [1 − a, a]. */
export function boundProbabilities(p: tf.Tensor, a: number): tf.Tensor {
  return tf.add(tf.mul(p, a), tf.mul(tf.sub(1, p), 1 - a));
}

/** The greedy policy: op on where p ≥ 0.5 (p′ ≥ 0.5 exactly there too, since a > 0.5). */
export function greedyPolicies(probs: Float32Array | number[]): Uint8Array {
  return Uint8Array.from(probs, (p) => (p >= 0.5 ? 1 : 0));
}

/** One Bernoulli draw per entry, from the seeded generator (so a resumed run draws the same policies). */
export function samplePolicies(probs: ArrayLike<number>, rng: Rng): Uint8Array {
  const out = new Uint8Array(probs.length);
  for (let i = 0; i < probs.length; i++) out[i] = rng.next() < probs[i] ? 1 : 0;
  return out;
}

export interface LatencyWindow {
  lb: number;
  ub: number;
}

/** R_lat(ℓ) = max(0, −(ℓ − ub)(ℓ − lb) / ((ub − lb)²/4)): 1 at the window's middle, 0 at and outside its ends. */
export function latencyReward(latency: number, w: LatencyWindow): number {
  const half = (w.ub - w.lb) / 2;
  return Math.max(0, (-(latency - w.ub) * (latency - w.lb)) / (half * half));
}

export interface RewardWeights {
  posReward: number;
  negReward: number;
  latencyExponent: number;
}

/** Per instance: pos_w · R_lat^exp when the prediction is right, neg_w when it is wrong. */
export function instanceReward(correct: boolean, latency: number, w: LatencyWindow, weights: RewardWeights): number {
  return correct ? weights.posReward * latencyReward(latency, w) ** weights.latencyExponent : weights.negReward;
}

/**
 * The narrowest window, as a fraction of the table’s span [min, allOps] (small enough not to bind on a table
 * like the paper’s, where 0.5·baseline is well above min): ub never falls below
 * min + MIN_WINDOW·(allOps − min).
 */
export const MIN_WINDOW = 0.05;

/**
 * The window of search epoch `epoch` (0-based) of `epochs`: dynamic, ub = ub_s − (ub_s − ub_e)·r with
 * ub_s = 0.7·allOps, ub_e = 0.5·baseline and r = epoch/(epochs − 1), so the last epoch has ub_e (a one-epoch
 * search uses ub_e); lb = min throughout. Static: [min, allOps].
 *
 * Departure from the reference: both ends of the schedule are clamped to at least min + MIN_WINDOW·(allOps − min).
 * The paper's ub_e = 0.5·baseline assumes the cheapest policy (op 4 at each stage-first block) costs well under
 * half of op 0 everywhere; on a narrow CPU meta-graph, where a basic block's two dense convs can cost more than an
 * inverted residual's three small ones, it need not, and then ub ≤ lb: every latency scores 0, the last search
 * epochs learn nothing from the reward, and R_lat divides by zero. So lb < ub always and ub still shrinks
 * monotonically (constant where the clamp holds it).
 */
export function latencyWindow(epoch: number, epochs: number, refs: { baseline: number; allOps: number; min: number }, mode: 'dynamic' | 'static'): LatencyWindow {
  const lb = refs.min;
  // A positive width even for a degenerate table (every cell 0, or all-ops measured at min).
  const span = Math.max(refs.allOps - lb, 1e-6 * Math.max(1, Math.abs(lb)));
  const narrowest = lb + MIN_WINDOW * span;
  if (mode === 'static') return { lb, ub: lb + span };
  const ubStart = Math.max(0.7 * refs.allOps, narrowest);
  const ubEnd = Math.min(ubStart, Math.max(0.5 * refs.baseline, narrowest));
  const r = epochs > 1 ? Math.min(Math.max(epoch, 0), epochs - 1) / (epochs - 1) : 1;
  return { lb, ub: ubStart - (ubStart - ubEnd) * r };
}

/**
 * The controller loss of one batch: [−Σ log Bernoulli(m | p′)·A − β·Σ(−p′ log p′)] / batch, with the
 * advantage A per instance (a [batch] tensor) broadcast over its blocks × ops.
 */
export function controllerLoss(bounded: tf.Tensor2D, sampled: tf.Tensor2D, advantage: tf.Tensor1D, entropyWeight: number): tf.Scalar {
  const batch = bounded.shape[0];
  const eps = 1e-8;
  const logLik = tf.add(tf.mul(sampled, tf.log(tf.add(bounded, eps))), tf.mul(tf.sub(1, sampled), tf.log(tf.add(tf.sub(1, bounded), eps))));
  const policyTerm = tf.neg(tf.sum(tf.mul(logLik, tf.reshape(advantage, [batch, 1]))));
  const entropy = tf.sum(tf.neg(tf.mul(bounded, tf.log(tf.add(bounded, eps)))));
  return tf.div(tf.sub(policyTerm, tf.mul(entropy, entropyWeight)), batch) as tf.Scalar;
}

/** The fine-tuning pass's pairing: policies shuffled across the batch (row i gets policy perm[i]). */
export function shufflePolicies(policies: Uint8Array, batch: number, rng: Rng): { policies: Uint8Array; permutation: Int32Array } {
  const width = policies.length / batch;
  const permutation = rng.permutation(batch);
  const out = new Uint8Array(policies.length);
  for (let i = 0; i < batch; i++) out.set(policies.subarray(permutation[i] * width, (permutation[i] + 1) * width), i * width);
  return { policies: out, permutation };
}

/** Mean and population standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: 0, std: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length) };
}
