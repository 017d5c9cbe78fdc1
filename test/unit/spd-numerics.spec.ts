/**
 * ALGORITHMS.md §9, SPDNetNAS properties 2–7 on the numerics of src/main/nas/engine/spd: Jacobi orthogonality
 * and reconstruction; the Daleckii–Krein gradient of log/exp/ReEig against central finite differences in
 * float64 (with a repeated eigenvalue too); Exp/Log inverses; Karcher mean cases; sparsemax on the simplex and
 * its Jacobian; Stiefel steps stay on the manifold; the SPD bias step stays SPD.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/main/nas/engine/tf';
import { initBackend } from '../../src/main/nas/engine/backend';
import { Rng } from '../../src/main/nas/engine/rng';
import {
  eigenvalues,
  expEig,
  expMap,
  karcherMean,
  karcherResidual,
  logEig,
  logMap,
  reEig,
  reEigFunction,
  sparsemax,
  sparsemax64,
  sparsemaxJacobian,
  spdBiasStep64,
  spdExp,
  spdLog,
  spectral,
  spectralBackward64,
  spectralForward64,
  stiefelDefect,
  stiefelStep,
  symEig,
  type SpectralFunction,
} from '../../src/main/nas/engine/spd';

function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
}

/** A random orthogonal n×n matrix (QR of a Gaussian matrix via the eigenvectors of a random symmetric one). */
function randomOrthogonal(n: number, rng: Rng): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = gaussian(rng);
  return symEig(a, n).vectors;
}

/** Q diag(spectrum) Qᵀ with a random Q: an SPD matrix with a known spectrum. */
function withSpectrum(spectrum: number[], rng: Rng): Float64Array {
  const n = spectrum.length;
  const q = randomOrthogonal(n, rng);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += q[i * n + k] * spectrum[k] * q[j * n + k];
    out[i * n + j] = s;
  }
  return out;
}

function randomSpd(n: number, rng: Rng, floor = 0.2): Float64Array {
  return withSpectrum(Array.from({ length: n }, () => floor + 2 * rng.next()), rng);
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d / Math.max(maxAbs(b), 1e-30);
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Jacobi eigendecomposition (float64)', () => {
  it.each([3, 10, 30])('of random symmetric %i×%i matrices: U is orthogonal and U Λ Uᵀ reconstructs P', (n) => {
    const rng = new Rng(n);
    const count = 4;
    const data = new Float64Array(count * n * n);
    for (let b = 0; b < count; b++) data.set(withSpectrum(Array.from({ length: n }, () => 4 * gaussian(rng)), rng), b * n * n);
    const { values, vectors } = symEig(data, n, count);
    for (let b = 0; b < count; b++) {
      const o = b * n * n;
      let orth = 0;
      let recon = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let utu = 0;
        let p = 0;
        for (let k = 0; k < n; k++) {
          utu += vectors[o + k * n + i] * vectors[o + k * n + j];
          p += vectors[o + i * n + k] * values[b * n + k] * vectors[o + j * n + k];
        }
        orth = Math.max(orth, Math.abs(utu - (i === j ? 1 : 0)));
        recon = Math.max(recon, Math.abs(p - data[o + i * n + j]));
      }
      expect(orth).toBeLessThan(1e-10);
      expect(recon / maxAbs(data.subarray(o, o + n * n))).toBeLessThan(1e-10);
      for (let k = 1; k < n; k++) expect(values[b * n + k]).toBeGreaterThanOrEqual(values[b * n + k - 1]);
    }
  });

  it('recovers a known spectrum with repeated eigenvalues', () => {
    const spectrum = [0.5, 2, 2, 2, 7];
    const { values } = symEig(withSpectrum(spectrum, new Rng(3)), 5);
    expect(relDiff(values, spectrum)).toBeLessThan(1e-12);
  });
});

describe('Daleckii–Krein gradient of spectral functions', () => {
  /** ∂/∂P_ij of L(P) = Σ G ∘ f(P) by central differences in float64, perturbing one entry (the op symmetrises). */
  function finiteDifference(p: Float64Array, g: Float64Array, n: number, fn: SpectralFunction, h = 1e-6): Float64Array {
    const loss = (q: Float64Array) => spectralForward64(q, n, fn).out.reduce((s, v, i) => s + v * g[i], 0);
    const out = new Float64Array(n * n);
    for (let i = 0; i < n * n; i++) {
      const plus = Float64Array.from(p);
      const minus = Float64Array.from(p);
      plus[i] += h;
      minus[i] -= h;
      out[i] = (loss(plus) - loss(minus)) / (2 * h);
    }
    return out;
  }

  const cases: Array<[string, SpectralFunction, number[] | null]> = [
    ['log', spdLog, null],
    ['exp', spdExp, null],
    ['ReEig', reEigFunction(0.6), [0.1, 0.3, 1.1, 1.7, 2.4]],
    ['log, repeated eigenvalue', spdLog, [0.4, 1.3, 1.3, 2, 3]],
    ['exp, repeated eigenvalue', spdExp, [0.4, 1, 1, 1, 2.2]],
    ['ReEig, repeated eigenvalue', reEigFunction(0.6), [0.2, 0.2, 1.5, 1.5, 2]],
  ];

  it.each(cases)('%s matches central finite differences on a 5×5 SPD matrix (relative error < 1e-3)', (_name, fn, spectrum) => {
    const rng = new Rng(11);
    const n = 5;
    const p = spectrum ? withSpectrum(spectrum, rng) : randomSpd(n, rng);
    const g = Float64Array.from({ length: n * n }, () => gaussian(rng));
    const analytic = spectralBackward64(spectralForward64(p, n, fn), g, n, fn);
    const numeric = finiteDifference(p, g, n, fn);
    expect(relDiff(analytic, numeric)).toBeLessThan(1e-3);
  });

  it('the tfjs op returns the float64 result and the same gradient through tf.grad, for a batch at once', () => {
    const rng = new Rng(5);
    const n = 6;
    const batch = new Float64Array(3 * n * n);
    for (let b = 0; b < 3; b++) batch.set(randomSpd(n, rng), b * n * n);
    const g = Float64Array.from({ length: batch.length }, () => gaussian(rng));
    const x = tf.tensor3d(Float32Array.from(batch), [3, n, n]);
    const weights = tf.tensor3d(Float32Array.from(g), [3, n, n]);
    const value = logEig(x).dataSync();
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(logEig(t), weights)))(x).dataSync();
    const ref = spectralForward64(Float32Array.from(batch), n, spdLog);
    expect(relDiff(value, ref.out)).toBeLessThan(1e-6);
    expect(relDiff(grad, spectralBackward64(ref, Float32Array.from(g), n, spdLog))).toBeLessThan(1e-5);
  });
});

describe('SPD maps', () => {
  const n = 6;
  const rng = new Rng(21);
  const batch = () => tf.tensor3d(Float32Array.from([...randomSpd(n, rng), ...randomSpd(n, rng)]), [2, n, n]);

  it('map SPD to SPD and symmetric to symmetric; ReEig lifts every eigenvalue to at least ε', () => {
    const x = tf.tensor3d(Float32Array.from([...withSpectrum([1e-3, 0.01, 0.5, 1, 2, 3], rng), ...randomSpd(n, rng)]), [2, n, n]);
    for (const y of [reEig(x, 0.05), expEig(logEig(x)), expEig(x)]) {
      const d = y.dataSync();
      const yt = tf.transpose(y, [0, 2, 1]).dataSync();
      expect(relDiff(d, yt)).toBeLessThan(1e-6);
      expect(Math.min(...eigenvalues(y))).toBeGreaterThan(0);
    }
    expect(Math.min(...eigenvalues(reEig(x, 0.05)))).toBeGreaterThanOrEqual(0.05 * (1 - 1e-6));
    const log = logEig(x);
    expect(relDiff(log.dataSync(), tf.transpose(log, [0, 2, 1]).dataSync())).toBeLessThan(1e-6);
  });

  it('ExpEig(LogEig(X)) ≈ X and Log_G(Exp_G(T)) ≈ T', () => {
    const x = batch();
    expect(relDiff(expEig(logEig(x)).dataSync(), x.dataSync())).toBeLessThan(1e-3);
    const g = batch();
    const t = logEig(batch()); // a symmetric tangent vector
    expect(relDiff(logMap(g, expMap(g, t)).dataSync(), t.dataSync())).toBeLessThan(1e-3);
  });
});

describe('weighted Karcher mean', () => {
  const n = 5;
  const rng = new Rng(31);
  const stack = (...ms: Float64Array[]) => tf.tensor4d(Float32Array.from(ms.flatMap((m) => [...m])), [ms.length, 1, n, n]);

  it('of identical matrices is that matrix', () => {
    const x = randomSpd(n, rng);
    const mean = karcherMean(stack(x, x, x), tf.tensor1d([0.2, 0.5, 0.3]), 2);
    expect(relDiff(mean.dataSync(), x)).toBeLessThan(1e-3);
  });

  it('of commuting matrices is exp(Σ w_i log X_i)', () => {
    const q = randomOrthogonal(n, rng);
    const diag = (d: number[]) => {
      const out = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = d.reduce((s, dk, k) => s + q[i * n + k] * dk * q[j * n + k], 0);
      return out;
    };
    const spectra = [[0.5, 1, 2, 3, 4], [2, 0.3, 1, 5, 1], [1, 1, 0.7, 0.4, 6]];
    const w = [0.5, 0.3, 0.2];
    const want = diag(spectra[0].map((_, k) => Math.exp(spectra.reduce((s, sp, i) => s + w[i] * Math.log(sp[k]), 0))));
    const mean = karcherMean(stack(...spectra.map(diag)), tf.tensor1d(w), 1);
    expect(relDiff(mean.dataSync(), want)).toBeLessThan(1e-3);
  });

  it('with weights (1, 0) returns the first matrix', () => {
    const a = randomSpd(n, rng);
    const mean = karcherMean(stack(a, randomSpd(n, rng)), tf.tensor1d([1, 0]), 1);
    expect(relDiff(mean.dataSync(), a)).toBeLessThan(1e-3);
  });

  it('moves towards the exact mean with more steps: the residual shrinks', () => {
    const xs = stack(randomSpd(n, rng, 0.05), withSpectrum([0.1, 0.5, 1, 4, 9], rng), randomSpd(n, rng));
    const w = tf.tensor1d([0.3, 0.3, 0.4]);
    const r1 = karcherResidual(xs, w, karcherMean(xs, w, 1));
    const r4 = karcherResidual(xs, w, karcherMean(xs, w, 4));
    expect(r1).toBeGreaterThan(0);
    expect(r4).toBeLessThan(r1 / 5);
  });
});

describe('sparsemax', () => {
  const rng = new Rng(41);
  it('lies on the simplex for random logits', () => {
    for (let t = 0; t < 200; t++) {
      const z = Array.from({ length: 6 }, () => 3 * gaussian(rng));
      const p = sparsemax64(z);
      expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      for (const v of p) expect(v).toBeGreaterThanOrEqual(0);
    }
  });

  it('is one-hot at the argmax when one logit dominates by more than 1, and uniform for equal logits', () => {
    expect(Array.from(sparsemax64([0.1, 2.3, 1.2, -0.5]))).toEqual([0, 1, 0, 0]);
    expect(Array.from(sparsemax64([0.7, 0.7, 0.7, 0.7]))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('has the Jacobian diag(1_S) − 1_S1_Sᵀ/|S|, matching finite differences, and the tfjs op back-propagates it', () => {
    const z = [0.9, 0.1, 0.75, -1, 0.5, 0.2];
    const p = sparsemax64(z);
    const jac = sparsemaxJacobian(p);
    const h = 1e-7;
    for (let j = 0; j < z.length; j++) {
      const plus = sparsemax64(z.map((v, k) => (k === j ? v + h : v)));
      const minus = sparsemax64(z.map((v, k) => (k === j ? v - h : v)));
      for (let i = 0; i < z.length; i++) expect(Math.abs((plus[i] - minus[i]) / (2 * h) - jac[i][j])).toBeLessThan(1e-6);
    }
    const g = [0.3, -1, 2, 0.5, 0.1, -0.7];
    const want = z.map((_, j) => jac.reduce((s, row, i) => s + g[i] * row[j], 0));
    const got = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(sparsemax(t as tf.Tensor2D), tf.tensor2d([g]))))(tf.tensor2d([z])).dataSync();
    expect(relDiff(got, want)).toBeLessThan(1e-6);
  });
});

describe('Riemannian steps', () => {
  it('a BiMap weight stays on the Stiefel manifold after each step, and the steps ascend tr(WᵀAW) to the top eigenvalues', () => {
    const rng = new Rng(51);
    const n = 8;
    const m = 3;
    const a = withSpectrum([0.1, 0.2, 0.3, 0.5, 1, 4, 5, 6], rng);
    const w0 = randomOrthogonal(n, rng).filter((_, i) => i % n < m);
    const w = tf.variable(tf.tensor2d(Float32Array.from(w0), [n, m]));
    const aT = tf.tensor2d(Float32Array.from(a), [n, n]);
    const objective = (v: tf.Tensor) => tf.neg(tf.sum(tf.mul(v, tf.matMul(aT, v)))) as tf.Scalar; // −tr(WᵀAW)
    for (let step = 0; step < 60; step++) {
      const g = tf.grad(objective)(w);
      stiefelStep(w, g, 0.05);
      expect(stiefelDefect(w.dataSync(), n, m)).toBeLessThan(1e-6);
    }
    expect(-objective(w).dataSync()[0]).toBeGreaterThan(15 * 0.99);
  });

  it('the SPD bias step keeps B symmetric positive definite even for a step that moves it far', () => {
    const rng = new Rng(61);
    const n = 5;
    const b = randomSpd(n, rng);
    const grad = Float64Array.from({ length: n * n }, () => 10 * gaussian(rng));
    const next = spdBiasStep64(b, grad, n, 0.2);
    expect(relDiff(next, b)).toBeGreaterThan(0.5); // a step that moves B far
    expect(Math.min(...symEig(next, n).values)).toBeGreaterThan(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(next[i * n + j]).toBe(next[j * n + i]);
  });
});

describe('spectral op on general shapes', () => {
  it('maps every matrix of a [B, C, n, n] batch, and refuses non-square input with the shape', () => {
    const rng = new Rng(71);
    const mats = Array.from({ length: 6 }, () => randomSpd(4, rng));
    const x = tf.tensor4d(Float32Array.from(mats.flatMap((m) => [...m])), [3, 2, 4, 4]);
    const y = spectral(x, spdLog);
    expect(y.shape).toEqual([3, 2, 4, 4]);
    expect(relDiff(y.dataSync().subarray(5 * 16), spectralForward64(Float32Array.from(mats[5]), 4, spdLog).out)).toBeLessThan(1e-6);
    expect(() => spectral(tf.zeros([2, 3, 4]), spdLog)).toThrow(/square matrices.*\[2, 3, 4\]/);
  });
});
