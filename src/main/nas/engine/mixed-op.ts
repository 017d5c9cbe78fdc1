import * as tf from './tf';
import type { ForwardContext, Layer } from './layers';

/** A candidate op on an edge; `null` is the `none` op (zeros), which contributes nothing to the sum. */
export type Candidate = Layer | null;

/**
 * ō(x) = Σ_k w_k·o_k(x) (ALGORITHMS.md §0). `weights` is one row of softmax(α) (or sparse/one-hot weights).
 * Skipping `none` is exact: its output is zero, and so is the gradient it sends to its weight. `decided` is
 * an edge SGAS has fixed (the op's column; its weight row is one-hot there) or pruned (null; its row is
 * zero): the ops weighted 0 are skipped, which is exact for the same reason.
 */
export function mixedOp(
  ctx: ForwardContext,
  x: tf.Tensor4D,
  weights: tf.Tensor1D,
  candidates: readonly Candidate[],
  stride = 1,
  decided?: number | null,
): tf.Tensor4D {
  // Slices rather than tf.unstack: unstack's gradient fails when some outputs (the `none` weight) are unused.
  const terms: tf.Tensor4D[] = [];
  candidates.forEach((op, k) => {
    const skipped = decided === null || (decided !== undefined && decided >= 0 && decided !== k);
    if (op && !skipped) terms.push(tf.mul(op(ctx, x), tf.slice(weights, [k], [1])));
  });
  if (terms.length === 0) {
    const [b, h, wd, c] = x.shape;
    return tf.zeros([b, Math.ceil(h / stride), Math.ceil(wd / stride), c]);
  }
  return terms.length === 1 ? terms[0] : tf.addN(terms);
}

/** Row e of a 2-D weight matrix as a 1-D tensor. */
export function weightRow(weights: tf.Tensor2D, e: number): tf.Tensor1D {
  return tf.reshape(tf.slice(weights, [e, 0], [1, weights.shape[1]]), [weights.shape[1]]);
}

/** Sum of the tensors (node = Σ incoming edges), without AddN's 8-input limit on some backends. */
export function sumAll(xs: tf.Tensor4D[]): tf.Tensor4D {
  return xs.length === 1 ? xs[0] : tf.addN(xs);
}
