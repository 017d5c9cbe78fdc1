// Symmetric eigendecomposition in float64 on the CPU (ALGORITHMS.md §7.2). TensorFlow.js has neither an
// eigen solver nor float64, so SPD layers solve here: cyclic Jacobi rotations on a Float64Array, batched over
// matrices stored back to back (row-major n×n each). Eigenvalues come out ascending, eigenvectors as the
// columns of U, so P = U diag(λ) Uᵀ.

export interface SymEig {
  /** count × n eigenvalues, ascending within each matrix. */
  values: Float64Array;
  /** count × n × n; column k of matrix b is the eigenvector of values[b·n + k]. */
  vectors: Float64Array;
}

/** Stop when the off-diagonal Frobenius norm is below this fraction of ‖P‖_F (§7.2). */
const RELATIVE_TOLERANCE = 1e-12;
/** Cyclic Jacobi converges quadratically: a handful of sweeps; 60 means something is badly wrong (NaN). */
const MAX_SWEEPS = 60;

/**
 * Diagonalises one symmetric matrix in place: `a` (n×n; only its upper triangle is read and kept up to date,
 * and its diagonal ends up holding the eigenvalues) and `v` (receives the transposed rotations Vᵀ; pass the identity).
 * Rutishauser's stable rotation formulas, with the thresholds of Numerical Recipes' `jacobi`: in the first
 * sweeps small elements are left for later, and an element negligible next to both diagonal entries is set
 * to zero instead of rotated. Both save work without changing the result.
 */
function jacobiInPlace(a: Float64Array, v: Float64Array, n: number, o: number): void {
  let norm2 = 0;
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) norm2 += (i === j ? 1 : 2) * a[o + i * n + j] ** 2;
  const threshold2 = norm2 * RELATIVE_TOLERANCE * RELATIVE_TOLERANCE;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off2 = 0;
    let offSum = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      const x = a[o + p * n + q];
      off2 += 2 * x * x;
      offSum += Math.abs(x);
    }
    if (off2 <= threshold2 || !(off2 === off2)) return;
    const skipBelow = sweep < 3 ? (0.2 * offSum) / (n * n) : 0;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[o + p * n + q];
        const app = a[o + p * n + p];
        const aqq = a[o + q * n + q];
        const g = 100 * Math.abs(apq);
        if (sweep > 3 && Math.abs(app) + g === Math.abs(app) && Math.abs(aqq) + g === Math.abs(aqq)) {
          a[o + p * n + q] = 0;
          continue;
        }
        if (apq === 0 || Math.abs(apq) <= skipBelow) continue;
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        const tau = s / (1 + c);
        a[o + p * n + p] = app - t * apq;
        a[o + q * n + q] = aqq + t * apq;
        a[o + p * n + q] = 0;
        // Upper triangle only: (r, p) and (r, q) live at [min, max] positions.
        for (let r = 0; r < p; r++) {
          const x = a[o + r * n + p];
          const y = a[o + r * n + q];
          a[o + r * n + p] = x - s * (y + tau * x);
          a[o + r * n + q] = y + s * (x - tau * y);
        }
        for (let r = p + 1; r < q; r++) {
          const x = a[o + p * n + r];
          const y = a[o + r * n + q];
          a[o + p * n + r] = x - s * (y + tau * x);
          a[o + r * n + q] = y + s * (x - tau * y);
        }
        const rowP = o + p * n;
        const rowQ = o + q * n;
        for (let r = q + 1; r < n; r++) {
          const x = a[rowP + r];
          const y = a[rowQ + r];
          a[rowP + r] = x - s * (y + tau * x);
          a[rowQ + r] = y + s * (x - tau * y);
        }
        // v holds Vᵀ (eigenvectors as rows), so this update runs along contiguous memory.
        for (let r = 0; r < n; r++) {
          const x = v[rowP + r];
          const y = v[rowQ + r];
          v[rowP + r] = x - s * (y + tau * x);
          v[rowQ + r] = y + s * (x - tau * y);
        }
      }
    }
  }
  throw new Error(`Jacobi eigendecomposition of a ${n}×${n} matrix did not converge in ${MAX_SWEEPS} sweeps; the matrix may hold infinite values.`);
}

/**
 * Eigendecomposition of `count` symmetric n×n matrices (row-major, back to back). Only the upper triangle is
 * trusted: the input is symmetrised as (P + Pᵀ)/2 first. The input array is left untouched.
 */
export function symEig(data: ArrayLike<number>, n: number, count = data.length / (n * n)): SymEig {
  if (!Number.isInteger(count) || data.length !== count * n * n) {
    throw new Error(`symEig: ${data.length} values do not make ${count} matrices of ${n}×${n}.`);
  }
  const a = new Float64Array(count * n * n);
  const v = new Float64Array(count * n * n);
  const values = new Float64Array(count * n);
  const vectors = new Float64Array(count * n * n);
  const order = new Array<number>(n);
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) a[o + i * n + j] = 0.5 * (data[o + i * n + j] + data[o + j * n + i]);
      v[o + i * n + i] = 1;
    }
    jacobiInPlace(a, v, n, o);
    for (let k = 0; k < n; k++) order[k] = k;
    order.sort((x, y) => a[o + x * n + x] - a[o + y * n + y]);
    for (let k = 0; k < n; k++) {
      const src = order[k];
      values[b * n + k] = a[o + src * n + src];
      for (let r = 0; r < n; r++) vectors[o + r * n + k] = v[o + src * n + r];
    }
  }
  return { values, vectors };
}

/** C = A·B for n×n row-major blocks at the given offsets (float64). */
export function matMul64(a: Float64Array, ao: number, b: Float64Array, bo: number, c: Float64Array, co: number, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) c[co + i * n + j] = 0;
    for (let k = 0; k < n; k++) {
      const aik = a[ao + i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) c[co + i * n + j] += aik * b[bo + k * n + j];
    }
  }
}

/**
 * U diag(d) Uᵀ for one matrix (float64), written symmetric by construction (upper triangle mirrored), so a
 * float32 copy of it is exactly symmetric.
 */
export function reconstruct(u: Float64Array, uo: number, d: ArrayLike<number>, dOffset: number, out: Float64Array, oo: number, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += u[uo + i * n + k] * d[dOffset + k] * u[uo + j * n + k];
      out[oo + i * n + j] = s;
      out[oo + j * n + i] = s;
    }
  }
}
