import * as tf from '../tf';
import { matMul64, reconstruct, symEig, type SymEig } from './jacobi';

// Spectral functions of symmetric matrices, X = U f(Λ) Uᵀ with P = U Λ Uᵀ (ALGORITHMS.md §7.1–7.2), as one
// tfjs op per batch: the forward solves every matrix of the batch with Jacobi in float64 and returns float32;
// the backward is the Daleckii–Krein formula ∂L/∂P = U (K ∘ (Uᵀ sym(G) U)) Uᵀ, also in float64, with
// K_ij = (f(λ_i) − f(λ_j))/(λ_i − λ_j), K_ii = f′(λ_i), and f′(λ_i) where two eigenvalues (nearly) coincide.

export interface SpectralFunction {
  readonly name: string;
  f(lambda: number): number;
  df(lambda: number): number;
  /**
   * Add ε·tr(P)·I before solving (§7.2): for the functions that need P positive definite (log, square roots,
   * powers), so a matrix on the edge of the cone does not send them to infinity.
   */
  readonly regularise: boolean;
}

/** ε of the ε·tr(P)·I regularisation (§7.2, the reference's 1e-5). */
export const SPD_REGULARISATION = 1e-5;
/** ReEig's floor ε (§7.1). */
export const REEIG_EPS = 1e-4;
/** Eigenvalues closer than this (relative to max(1, |λ|)) count as repeated: K uses f′ (the eigen-gap rule). */
export const EIGEN_GAP = 1e-9;

export const spdLog: SpectralFunction = { name: 'log', f: Math.log, df: (l) => 1 / l, regularise: true };
export const spdExp: SpectralFunction = { name: 'exp', f: Math.exp, df: Math.exp, regularise: false };
export const spdSqrt: SpectralFunction = { name: 'sqrt', f: Math.sqrt, df: (l) => 0.5 / Math.sqrt(l), regularise: true };
export const spdInvSqrt: SpectralFunction = { name: 'invsqrt', f: (l) => 1 / Math.sqrt(l), df: (l) => -0.5 * l ** -1.5, regularise: true };

/** ReEig: max(λ, ε), the SPD analogue of ReLU; its derivative is 1[λ > ε]. */
export function reEigFunction(eps = REEIG_EPS): SpectralFunction {
  return { name: `reeig(${eps})`, f: (l) => Math.max(l, eps), df: (l) => (l > eps ? 1 : 0), regularise: false };
}

/** P^t (geodesics: A^{1/2}(A^{-1/2} B A^{-1/2})^t A^{1/2}). */
export function powerFunction(t: number): SpectralFunction {
  return { name: `pow(${t})`, f: (l) => l ** t, df: (l) => t * l ** (t - 1), regularise: true };
}

export interface SpectralForward {
  /** count × n × n, f applied. */
  out: Float64Array;
  eig: SymEig;
  fv: Float64Array;
}

/** Forward of `fn` on `count` n×n matrices in float64 (what the tfjs op computes before rounding to float32). */
export function spectralForward64(data: ArrayLike<number>, n: number, fn: SpectralFunction): SpectralForward {
  const count = data.length / (n * n);
  let input: ArrayLike<number> = data;
  if (fn.regularise) {
    const reg = Float64Array.from(data);
    for (let b = 0; b < count; b++) {
      const o = b * n * n;
      let trace = 0;
      for (let i = 0; i < n; i++) trace += reg[o + i * n + i];
      for (let i = 0; i < n; i++) reg[o + i * n + i] += SPD_REGULARISATION * trace;
    }
    input = reg;
  }
  const eig = symEig(input, n, count);
  const fv = new Float64Array(eig.values.length);
  for (let i = 0; i < fv.length; i++) fv[i] = fn.f(eig.values[i]);
  const out = new Float64Array(count * n * n);
  for (let b = 0; b < count; b++) reconstruct(eig.vectors, b * n * n, fv, b * n, out, b * n * n, n);
  return { out, eig, fv };
}

/** ∂L/∂P from ∂L/∂X = `grad` (float64), by Daleckii–Krein with the eigen-gap rule. */
export function spectralBackward64(forward: SpectralForward, grad: ArrayLike<number>, n: number, fn: SpectralFunction): Float64Array {
  const { eig, fv } = forward;
  const count = eig.values.length / n;
  const out = new Float64Array(count * n * n);
  const g = new Float64Array(n * n);
  const tmp = new Float64Array(n * n);
  const m = new Float64Array(n * n);
  const ut = new Float64Array(n * n);
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    const lo = b * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        g[i * n + j] = 0.5 * (grad[o + i * n + j] + grad[o + j * n + i]);
        ut[i * n + j] = eig.vectors[o + j * n + i];
      }
    }
    // M = Uᵀ Ĝ U, then K ∘ M.
    matMul64(ut, 0, g, 0, tmp, 0, n);
    matMul64(tmp, 0, eig.vectors, o, m, 0, n);
    for (let i = 0; i < n; i++) {
      const li = eig.values[lo + i];
      for (let j = 0; j < n; j++) {
        const lj = eig.values[lo + j];
        const k = i !== j && Math.abs(li - lj) >= EIGEN_GAP * Math.max(1, Math.abs(li)) ? (fv[lo + i] - fv[lo + j]) / (li - lj) : fn.df(li);
        m[i * n + j] *= k;
      }
    }
    // U (K ∘ M) Uᵀ.
    matMul64(eig.vectors, o, m, 0, tmp, 0, n);
    matMul64(tmp, 0, ut, 0, out, o, n);
    if (fn.regularise) {
      // P' = P + ε·tr(P)·I, so ∂L/∂P = ∂L/∂P' + ε·tr(∂L/∂P')·I.
      let trace = 0;
      for (let i = 0; i < n; i++) trace += out[o + i * n + i];
      for (let i = 0; i < n; i++) out[o + i * n + i] += SPD_REGULARISATION * trace;
    }
  }
  return out;
}

/** `fn` applied to every symmetric matrix of x ([…, n, n]) as one differentiable tfjs op. */
export function spectral<T extends tf.Tensor>(x: T, fn: SpectralFunction): T {
  const n = x.shape[x.rank - 1];
  if (x.rank < 2 || x.shape[x.rank - 2] !== n) throw new Error(`A spectral function needs square matrices in the last two axes; got shape [${x.shape.join(', ')}].`);
  // customGrad passes the inputs followed by a save function; only the input is used.
  const op = tf.customGrad((...args: unknown[]) => {
    const input = args[0] as tf.Tensor;
    const forward = spectralForward64(input.dataSync(), n, fn);
    return {
      value: tf.tensor(Float32Array.from(forward.out), input.shape, 'float32'),
      gradFunc: (dy: tf.Tensor) => tf.tensor(Float32Array.from(spectralBackward64(forward, dy.dataSync(), n, fn)), input.shape, 'float32'),
    };
  });
  return op(x) as T;
}

/** Eigenvalues of every matrix of x ([…, n, n]), ascending, without gradient (health metrics, tests). */
export function eigenvalues(x: tf.Tensor): Float64Array {
  const n = x.shape[x.rank - 1];
  return symEig(x.dataSync(), n).values;
}

export const logEig = <T extends tf.Tensor>(x: T) => spectral(x, spdLog);
export const expEig = <T extends tf.Tensor>(x: T) => spectral(x, spdExp);
export const sqrtEig = <T extends tf.Tensor>(x: T) => spectral(x, spdSqrt);
export const invSqrtEig = <T extends tf.Tensor>(x: T) => spectral(x, spdInvSqrt);
export const reEig = <T extends tf.Tensor>(x: T, eps = REEIG_EPS) => spectral(x, reEigFunction(eps));
