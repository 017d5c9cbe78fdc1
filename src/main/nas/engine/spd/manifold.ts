import * as tf from '../tf';
import { expEig, invSqrtEig, logEig, powerFunction, spectral } from './spectral';

// The affine-invariant geometry of SPD matrices (ALGORITHMS.md §7.1), built from the spectral ops so that
// every map here is differentiable: Log/Exp at a base point, geodesics, and the weighted Karcher (Fréchet)
// mean that replaces the weighted sum of DARTS's mixed op. Matrices live in the last two axes.

/** Xᵀ over the last two axes. */
export function transposeLast(x: tf.Tensor): tf.Tensor {
  const perm = [...Array(x.rank).keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return tf.transpose(x, perm);
}

/** (X + Xᵀ)/2: products like S·Y·S are symmetric only up to rounding. */
export function sym<T extends tf.Tensor>(x: T): T {
  return tf.mul(tf.add(x, transposeLast(x)), 0.5) as T;
}

/** A·B·A for matching batches of matrices (A symmetric), symmetrised. */
export function sandwich<T extends tf.Tensor>(a: tf.Tensor, b: T): T {
  return sym(tf.matMul(tf.matMul(a, b), a)) as unknown as T;
}

/** G^{1/2} and G^{-1/2}; G^{1/2} = G·G^{-1/2} saves a second eigendecomposition. */
export function sqrtPair(g: tf.Tensor): { sqrt: tf.Tensor; invSqrt: tf.Tensor } {
  const invSqrt = invSqrtEig(g);
  return { sqrt: sym(tf.matMul(g, invSqrt)), invSqrt };
}

/** Log_G(X) = G^{1/2} log(G^{-1/2} X G^{-1/2}) G^{1/2}. */
export function logMap(g: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const { sqrt, invSqrt } = sqrtPair(g);
  return sandwich(sqrt, logEig(sandwich(invSqrt, x)));
}

/** Exp_G(T) = G^{1/2} exp(G^{-1/2} T G^{-1/2}) G^{1/2}. */
export function expMap(g: tf.Tensor, t: tf.Tensor): tf.Tensor {
  const { sqrt, invSqrt } = sqrtPair(g);
  return sandwich(sqrt, expEig(sandwich(invSqrt, t)));
}

/** geodesic(A, B, t) = A^{1/2}(A^{-1/2} B A^{-1/2})^t A^{1/2}: A at t = 0, B at t = 1. */
export function geodesic(a: tf.Tensor, b: tf.Tensor, t: number): tf.Tensor {
  const { sqrt, invSqrt } = sqrtPair(a);
  return sandwich(sqrt, spectral(sandwich(invSqrt, b), powerFunction(t)));
}

/** Σ_i w_i X_i over the first axis of xs ([m, …]) with w of length m. */
function weightedSum(xs: tf.Tensor, w: tf.Tensor1D): tf.Tensor {
  const [m, ...rest] = xs.shape;
  const flat = tf.reshape(xs, [m, -1]);
  return tf.reshape(tf.matMul(tf.reshape(w, [1, m]), flat), rest);
}

/** G repeated m times along a new first axis, to pair with each X_i. */
function repeatFirst(g: tf.Tensor, m: number): tf.Tensor {
  return tf.tile(tf.expandDims(g, 0), [m, ...g.shape.map(() => 1)]);
}

/**
 * The weighted Karcher mean of xs ([m, …batch, n, n], each SPD) with weights w ([m], Σw = 1), per batch
 * element (§7.1): start from G₀ = Σ w_i X_i, then `steps` times G ← Exp_G(Σ_i w_i Log_G(X_i)) (η = 1),
 * computed as G^{1/2} exp(Σ w_i log(G^{-1/2} X_i G^{-1/2})) G^{1/2}. The reference code takes one step.
 */
export function karcherMean(xs: tf.Tensor, w: tf.Tensor1D, steps = 1): tf.Tensor {
  const [m, ...rest] = xs.shape;
  const n = rest[rest.length - 1];
  // Batch axes flattened to one: matrices [m, P, n, n], means [P, n, n] (tfjs tiles up to rank 4 only).
  const flat = tf.reshape(xs, [m, -1, n, n]);
  let g = weightedSum(flat, w);
  for (let s = 0; s < steps; s++) {
    const { sqrt, invSqrt } = sqrtPair(g);
    const tangent = weightedSum(logEig(sandwich(repeatFirst(invSqrt, m), flat)), w);
    g = sandwich(sqrt, expEig(tangent));
  }
  return tf.reshape(g, rest);
}

/**
 * The Karcher residual ‖Σ w_i log(G^{-1/2} X_i G^{-1/2})‖_F at G, averaged over the batch: 0 at the exact
 * mean; a health signal of how far the k-step mean is from it. No gradient.
 */
export function karcherResidual(xs: tf.Tensor, w: tf.Tensor1D, g: tf.Tensor): number {
  return tf.tidy(() => {
    const m = xs.shape[0];
    const n = g.shape[g.rank - 1];
    const flat = tf.reshape(xs, [m, -1, n, n]);
    const invSqrt = invSqrtEig(tf.reshape(g, [-1, n, n]));
    const tangent = weightedSum(logEig(sandwich(repeatFirst(invSqrt, m), flat)), w);
    const norms = tf.sqrt(tf.sum(tf.square(tf.reshape(tangent, [-1, n * n])), 1));
    return tf.mean(norms).dataSync()[0];
  });
}

/** Identity matrices shaped like x ([…, n, n]). */
export function identityLike(x: tf.Tensor): tf.Tensor {
  const n = x.shape[x.rank - 1];
  return tf.broadcastTo(tf.eye(n), x.shape);
}
