import * as tf from '../tf';
import { matMul64, reconstruct, symEig } from './jacobi';

// Riemannian SGD for the two kinds of SPD-network weights that live on manifolds (ALGORITHMS.md §7.2):
// BiMap weights on the Stiefel manifold (WᵀW = I) and the SPD bias of Riemannian batch norm. Both steps run in
// float64 on the CPU (the matrices are small) and are written back as float32.

/** Q of A = QR (n×m, n ≥ m) by modified Gram–Schmidt, with R's diagonal positive (the qf retraction). */
export function qrQ(a: Float64Array, n: number, m: number): Float64Array {
  if (m > n) throw new Error(`A Stiefel matrix needs at least as many rows as columns; got ${n}×${m}.`);
  const q = Float64Array.from(a);
  for (let j = 0; j < m; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[i * m + k] * q[i * m + j];
      for (let i = 0; i < n; i++) q[i * m + j] -= dot * q[i * m + k];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[i * m + j] ** 2;
    norm = Math.sqrt(norm);
    if (!(norm > 1e-300)) throw new Error('The QR retraction met a rank-deficient BiMap weight: lower the weight learning rate.');
    for (let i = 0; i < n; i++) q[i * m + j] /= norm;
  }
  return q;
}

/**
 * One Riemannian SGD step on St(n, m) for a single n×m matrix: ξ = ∇ − W∇ᵀW (the reference's tangent
 * projection), then W ← qf(W − lr·ξ).
 */
export function stiefelStep64(w: Float64Array, grad: ArrayLike<number>, n: number, m: number, lr: number): Float64Array {
  // W∇ᵀW: (n×m)(m×n)(n×m).
  const gtw = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += grad[i * m + a] * w[i * m + b];
    gtw[a * m + b] = s;
  }
  const moved = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let b = 0; b < m; b++) {
    let wgw = 0;
    for (let a = 0; a < m; a++) wgw += w[i * m + a] * gtw[a * m + b];
    moved[i * m + b] = w[i * m + b] - lr * (grad[i * m + b] - wgw);
  }
  return qrQ(moved, n, m);
}

/** The Stiefel step for a variable of shape [..., n, m] (one matrix per leading index). */
export function stiefelStep(w: tf.Variable, grad: tf.Tensor, lr: number): void {
  const n = w.shape[w.rank - 2];
  const m = w.shape[w.rank - 1];
  const values = w.dataSync();
  const g = grad.dataSync();
  const out = new Float32Array(values.length);
  for (let o = 0; o < values.length; o += n * m) {
    out.set(stiefelStep64(Float64Array.from(values.subarray(o, o + n * m)), g.subarray(o, o + n * m), n, m, lr), o);
  }
  w.assign(tf.tensor(out, w.shape, 'float32'));
}

/** ‖WᵀW − I‖_max over every matrix of a [..., n, m] array: how far from the Stiefel manifold. */
export function stiefelDefect(values: ArrayLike<number>, n: number, m: number): number {
  let worst = 0;
  for (let o = 0; o < values.length; o += n * m) {
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += values[o + i * m + a] * values[o + i * m + b];
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

/**
 * The SPD update of a batch-norm bias B (n×n): B ← Exp_B(−lr·B sym(∇) B), which with the affine-invariant
 * metric is B^{1/2} exp(−lr·B^{1/2} sym(∇) B^{1/2}) B^{1/2}: B stays SPD for any step size.
 */
export function spdBiasStep64(b: Float64Array, grad: ArrayLike<number>, n: number, lr: number): Float64Array {
  const eig = symEig(b, n);
  const root = new Float64Array(n * n);
  reconstruct(eig.vectors, 0, Array.from(eig.values, (l) => Math.sqrt(Math.max(l, 0))), 0, root, 0, n);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g[i * n + j] = 0.5 * (grad[i * n + j] + grad[j * n + i]);
  const tmp = new Float64Array(n * n);
  const inner = new Float64Array(n * n);
  matMul64(root, 0, g, 0, tmp, 0, n);
  matMul64(tmp, 0, root, 0, inner, 0, n);
  for (let i = 0; i < n * n; i++) inner[i] *= -lr;
  const e = symEig(inner, n);
  const expInner = new Float64Array(n * n);
  reconstruct(e.vectors, 0, Array.from(e.values, Math.exp), 0, expInner, 0, n);
  matMul64(root, 0, expInner, 0, tmp, 0, n);
  const out = new Float64Array(n * n);
  matMul64(tmp, 0, root, 0, out, 0, n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const s = 0.5 * (out[i * n + j] + out[j * n + i]);
    out[i * n + j] = s;
    out[j * n + i] = s;
  }
  return out;
}

/** The SPD bias step for a variable of shape [..., n, n]. */
export function spdBiasStep(b: tf.Variable, grad: tf.Tensor, lr: number): void {
  const n = b.shape[b.rank - 1];
  const values = b.dataSync();
  const g = grad.dataSync();
  const out = new Float32Array(values.length);
  for (let o = 0; o < values.length; o += n * n) {
    out.set(spdBiasStep64(Float64Array.from(values.subarray(o, o + n * n)), g.subarray(o, o + n * n), n, lr), o);
  }
  b.assign(tf.tensor(out, b.shape, 'float32'));
}
