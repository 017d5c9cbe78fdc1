import * as tf from './tf';
import { Rng } from './rng';

// The SGAS-es collapse indicator (ALGORITHMS.md §4.1): λ_max of H = ∇²_α L_val + λ_α·I over the undecided α,
// by power iteration on Hessian-vector products. All vector math here is float64 JS; only the gradients come
// from tfjs (float32).

/** v ↦ H·v for a symmetric H of some fixed dimension. */
export type HessianVectorProduct = (v: number[]) => ArrayLike<number>;

export interface PowerIterationOptions {
  /** Most H·v products per run (the shifted rerun gets as many again). Default 30. */
  iters?: number;
  /** Stop when the Rayleigh quotient moves by less than tol·|λ| between two products. Default 1e-3. */
  tol?: number;
  /** Source of the random start vector (seeded, so the indicator is reproducible). */
  rng: Rng;
}

export interface PowerIterationResult {
  /** The algebraically largest eigenvalue (after the shift, when one was needed). */
  lambdaMax: number;
  /** H·v products used, both runs together. */
  iterations: number;
  /** Unit eigenvector estimate for lambdaMax. */
  vector: number[];
  /** σ added to H for the rerun (0 when the dominant eigenvalue was already positive). */
  shift: number;
  /** Whether the last run met `tol` before running out of iterations. */
  converged: boolean;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function normalized(v: ArrayLike<number>): number[] | null {
  const n = Math.sqrt(dot(v, v));
  if (!(n > 0) || !Number.isFinite(n)) return null;
  return Array.from(v, (x) => x / n);
}

/** Plain power iteration on v ↦ H·v + shift·v: the eigenvalue of largest magnitude and its vector. */
function dominantEigenpair(hvp: HessianVectorProduct, start: number[], shift: number, iters: number, tol: number) {
  let v = start;
  let lambda = 0;
  for (let k = 1; k <= iters; k++) {
    const raw = hvp(v);
    if (raw.length !== v.length) throw new Error(`The Hessian-vector product returned ${raw.length} entries for a vector of ${v.length}.`);
    const hv = Array.from(raw, (x, i) => x + shift * v[i]);
    const next = dot(v, hv); // Rayleigh quotient, |v| = 1
    const unit = normalized(hv);
    const done = k > 1 && Math.abs(next - lambda) <= tol * Math.max(Math.abs(next), 1e-12);
    lambda = next;
    if (!unit) return { lambda, vector: v, iterations: k, converged: true }; // H·v = 0: v is in the null space
    v = unit;
    if (done) return { lambda, vector: v, iterations: k, converged: true };
  }
  return { lambda, vector: v, iterations: iters, converged: false };
}

/**
 * The algebraically largest eigenvalue of a symmetric H given only H·v. Power iteration finds the eigenvalue
 * of largest magnitude; when that one is negative, the run is repeated on H + σI with σ = |λ| (which moves
 * the spectrum to [≈0, λ_max + σ], so λ_max + σ dominates) and σ is subtracted again.
 */
export function powerIteration(hvp: HessianVectorProduct, dim: number, options: PowerIterationOptions): PowerIterationResult {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`powerIteration needs a dimension ≥ 1; got ${dim} (no undecided α left?).`);
  const iters = options.iters ?? 30;
  const tol = options.tol ?? 1e-3;
  const start = normalized(Array.from({ length: dim }, () => options.rng.normal()))!;
  const first = dominantEigenpair(hvp, start, 0, iters, tol);
  if (first.lambda >= 0) {
    return { lambdaMax: first.lambda, iterations: first.iterations, vector: first.vector, shift: 0, converged: first.converged };
  }
  const shift = Math.abs(first.lambda);
  const second = dominantEigenpair(hvp, start, shift, iters, tol);
  return {
    lambdaMax: second.lambda - shift,
    iterations: first.iterations + second.iterations,
    vector: second.vector,
    shift,
    converged: second.converged,
  };
}

/** H column by column from `dim` products with the unit vectors, symmetrised as (H + Hᵀ)/2 (verification mode). */
export function explicitHessian(hvp: HessianVectorProduct, dim: number): number[][] {
  const cols: number[][] = [];
  for (let j = 0; j < dim; j++) {
    const e = new Array<number>(dim).fill(0);
    e[j] = 1;
    cols.push(Array.from(hvp(e)));
  }
  return Array.from({ length: dim }, (_, i) => Array.from({ length: dim }, (_, j) => (cols[j][i] + cols[i][j]) / 2));
}

/**
 * All eigenvalues of a symmetric matrix, largest first, by cyclic Jacobi rotations in float64 (exact to
 * rounding for the ≤ 224-dimensional Hessians here; no dependency needed).
 */
export function jacobiEigenvalues(matrix: readonly (readonly number[])[], options: { maxSweeps?: number; tol?: number } = {}): number[] {
  const n = matrix.length;
  if (matrix.some((row) => row.length !== n)) throw new Error('jacobiEigenvalues needs a square matrix.');
  const a = matrix.map((row) => [...row]);
  const maxSweeps = options.maxSweeps ?? 100;
  const tol = options.tol ?? 1e-14;
  const frobenius = Math.sqrt(a.reduce((s, row) => s + dot(row, row), 0));
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (Math.sqrt(off) <= tol * Math.max(frobenius, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p][q];
        if (apq === 0) continue;
        // Rotation angle that zeroes a[p][q] (Golub & Van Loan, symmetric Schur decomposition).
        const theta = (a[q][q] - a[p][p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((row, i) => row[i]).sort((x, y) => y - x);
}

/** The undecided rows (edges) of one α matrix: the entries the Hessian is taken over. */
export interface AlphaBlock {
  variable: tf.Variable;
  rows: readonly number[];
}

/** ∇_α L at the current α values, keyed by variable name (the caller of `alphaHvp` owns the batch and the net). */
export type AlphaGradient = (variables: tf.Variable[]) => Record<string, tf.Tensor>;

/**
 * Step length r of the central difference. A ReLU supernet's ∇_α L is only piecewise smooth: it jumps
 * wherever a ReLU input crosses zero (on the tiny NAS-Bench-201 test net, jumps of ~4 % of ∇L every ~0.005
 * along one α coordinate). The exact (autograd) Hessian is the slope between the jumps; a step that crosses
 * jumps adds jump/(2r) per crossing. Measured against a jump-robust reference Hessian
 * (test/unit/nas/engine/hessian.spec.ts): λ_max off by 6–13× for r = 3e-4…1e-2, within 0.1 % at r = 1e-4,
 * and off by 2–19 % for r = 3e-5…3e-6 where float32 rounding of the gradients takes over. Larger nets have
 * denser kinks, so treat λ_max there as the curvature at scale r.
 */
export const DEFAULT_HVP_STEP = 1e-4;

/**
 * H·v for H = ∇²_α L + λ_α·I restricted to the `blocks` rows, by the central difference
 * H·v ≈ ‖v‖·[∇L(α + r·v̂) − ∇L(α − r·v̂)]/(2r) + λ_α·v, with v̂ = v/‖v‖ so that r is the real step length.
 * The weight decay λ_α·‖α‖²/2 is quadratic, so its Hessian term is added exactly. α is restored bit for bit
 * after every product; `gradient` must be deterministic (BN batch statistics on a fixed batch, no BN update).
 * Vector layout: block by block, each listed row in order, every column of the row.
 */
export function alphaHvp(
  blocks: readonly AlphaBlock[],
  gradient: AlphaGradient,
  options: { step?: number; weightDecay?: number } = {},
): { dim: number; hvp: HessianVectorProduct; calls: () => number } {
  const step = options.step ?? DEFAULT_HVP_STEP;
  const decay = options.weightDecay ?? 0;
  const layout = blocks.map((b) => {
    const [rows, cols] = b.variable.shape;
    for (const r of b.rows) {
      if (!Number.isInteger(r) || r < 0 || r >= rows) throw new Error(`Row ${r} is outside α '${b.variable.name}' (${rows} rows).`);
    }
    return { ...b, rows: [...b.rows], cols, size: b.rows.length * cols };
  });
  const dim = layout.reduce((s, b) => s + b.size, 0);
  const variables = layout.map((b) => b.variable);
  let calls = 0;

  /** ∇L at α + sign·r·direction (undecided rows only), with α restored afterwards. */
  const gradientAt = (direction: number[], sign: number): Float64Array => {
    const out = new Float64Array(dim);
    const originals = variables.map((v) => tf.keep(v.clone()));
    try {
      let offset = 0;
      layout.forEach((b, i) => {
        const [rows, cols] = b.variable.shape;
        const delta = new Float32Array(rows * cols);
        for (const r of b.rows) {
          for (let c = 0; c < cols; c++) delta[r * cols + c] = sign * step * direction[offset++];
        }
        tf.tidy(() => b.variable.assign(originals[i].add(tf.tensor2d(delta, [rows, cols]))));
      });
      calls += 1;
      const grads = gradient(variables);
      try {
        let offset = 0;
        for (const b of layout) {
          const g = grads[b.variable.name];
          if (!g) throw new Error(`The α gradient has no entry for '${b.variable.name}'.`);
          const data = g.dataSync();
          for (const r of b.rows) for (let c = 0; c < b.cols; c++) out[offset++] = data[r * b.cols + c];
        }
      } finally {
        for (const g of Object.values(grads)) g.dispose();
      }
    } finally {
      variables.forEach((v, i) => {
        v.assign(originals[i]);
        originals[i].dispose();
      });
    }
    return out;
  };

  const hvp: HessianVectorProduct = (v) => {
    if (v.length !== dim) throw new Error(`The Hessian over the undecided α has dimension ${dim}; got a vector of ${v.length}.`);
    const norm = Math.sqrt(dot(v, v));
    if (norm === 0) return new Array<number>(dim).fill(0);
    const unit = v.map((x) => x / norm);
    const plus = gradientAt(unit, 1);
    const minus = gradientAt(unit, -1);
    return v.map((x, i) => (norm * (plus[i] - minus[i])) / (2 * step) + decay * x);
  };
  return { dim, hvp, calls: () => calls };
}

/**
 * λ_max of ∇²_α L + λ_α·I over the undecided rows (§4.1): `alphaHvp` + `powerIteration`. `gradient` should be
 * the α gradient of the validation loss on one fixed batch in training mode without BN statistics updates.
 */
export function estimateLambdaMax(
  blocks: readonly AlphaBlock[],
  gradient: AlphaGradient,
  options: PowerIterationOptions & { step?: number; weightDecay?: number },
): PowerIterationResult & { dim: number; gradientCalls: number } {
  const { dim, hvp, calls } = alphaHvp(blocks, gradient, { step: options.step, weightDecay: options.weightDecay });
  const result = powerIteration(hvp, dim, options);
  return { ...result, dim, gradientCalls: calls() };
}
