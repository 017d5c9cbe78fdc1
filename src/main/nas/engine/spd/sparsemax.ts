import * as tf from '../tf';

// Sparsemax (Martins & Astudillo 2016; ALGORITHMS.md §7.1): the Euclidean projection of z onto the simplex,
// which, unlike softmax, puts exact zeros on weak entries. SPDNetNAS mixes ops with it. Closed form here
// (the reference solves it as a QP with cvxpylayers; the result is the same and far cheaper).

/** sparsemax(z) for one vector: sort descending, k* = max{k : 1 + k·z₍k₎ > Σ_{j≤k} z₍j₎}, τ, p = max(z − τ, 0). */
export function sparsemax64(z: ArrayLike<number>): Float64Array {
  const sorted = Array.from(z).sort((a, b) => b - a);
  let cumulative = 0;
  let support = 0;
  let supportSum = 0;
  for (let k = 1; k <= sorted.length; k++) {
    cumulative += sorted[k - 1];
    if (1 + k * sorted[k - 1] > cumulative) {
      support = k;
      supportSum = cumulative;
    }
  }
  const tau = (supportSum - 1) / support;
  const p = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) p[i] = Math.max(z[i] - tau, 0);
  return p;
}

/** ∂sparsemax/∂z at a point with output p: diag(1_S) − 1_S 1_Sᵀ/|S| on the support S = {p > 0}. */
export function sparsemaxJacobian(p: ArrayLike<number>): number[][] {
  const s: number[] = Array.from(p, (v) => (v > 0 ? 1 : 0));
  const size = s.reduce((a, b) => a + b, 0);
  return s.map((si, i) => s.map((sj, j) => (i === j ? si : 0) - (si * sj) / size));
}

/** Row-wise sparsemax of a 2-D tensor (rows = edges, columns = ops), differentiable (Jacobian on the support). */
export function sparsemax(z: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = z.shape;
  // customGrad passes the inputs followed by a save function; only the input is used.
  const op = tf.customGrad((...args: unknown[]) => {
    const input = args[0] as tf.Tensor;
    const data = input.dataSync();
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) out.set(sparsemax64(data.subarray(r * cols, (r + 1) * cols)), r * cols);
    return {
      value: tf.tensor2d(out, [rows, cols]),
      gradFunc: (dy: tf.Tensor) => {
        // J·g = 1_S ∘ (g − mean_S(g)): the Jacobian is symmetric, so this is also the vector–Jacobian product.
        const g = dy.dataSync();
        const dz = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) {
          let sum = 0;
          let size = 0;
          for (let c = 0; c < cols; c++) {
            if (out[r * cols + c] > 0) {
              sum += g[r * cols + c];
              size += 1;
            }
          }
          for (let c = 0; c < cols; c++) dz[r * cols + c] = out[r * cols + c] > 0 ? g[r * cols + c] - sum / size : 0;
        }
        return tf.tensor2d(dz, [rows, cols]);
      },
    };
  });
  return op(z) as tf.Tensor2D;
}

/** Row-wise sparsemax of plain arrays (snapshots, discretisation). */
export function sparsemaxRows(z: readonly (readonly number[])[]): number[][] {
  return z.map((row) => Array.from(sparsemax64(row)));
}
