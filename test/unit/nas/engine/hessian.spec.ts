/**
 * The SGAS-es curvature indicator (ALGORITHMS.md §4.1, §9 SGAS-es properties 1, 2 and 7):
 *  - Jacobi recovers a known spectrum; power iteration finds its algebraically largest eigenvalue, also when
 *    the eigenvalue of largest magnitude is negative (the shifted rerun);
 *  - the finite-difference HVP equals A·v for ½αᵀAα, leaves α bit-identical and skips decided rows;
 *  - on a tiny NAS-Bench-201 supernet, the HVP's explicit Hessian and power iteration match a reference
 *    Hessian built without the central difference (median of small one-sided slopes), which is what
 *    DEFAULT_HVP_STEP is chosen by.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import {
  DEFAULT_HVP_STEP,
  alphaHvp,
  estimateLambdaMax,
  explicitHessian,
  jacobiEigenvalues,
  powerIteration,
  type HessianVectorProduct,
} from '../../../../src/main/nas/engine/hessian';
import { Rng } from '../../../../src/main/nas/engine/rng';
import { buildNb201Supernet } from '../../../../src/main/nas/spaces/nb201';
import { lossAndGrads } from '../../../../src/main/nas/strategies/one-shot';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Q·diag(λ)·Qᵀ with Q orthogonal (Gram–Schmidt on a seeded Gaussian matrix), so the spectrum is known. */
function withSpectrum(eigenvalues: number[], seed: number): number[][] {
  const n = eigenvalues.length;
  const rng = new Rng(seed);
  const q: number[][] = [];
  while (q.length < n) {
    const v = Array.from({ length: n }, () => rng.normal());
    for (const u of q) {
      const d = u.reduce((s, x, i) => s + x * v[i], 0);
      for (let i = 0; i < n; i++) v[i] -= d * u[i];
    }
    const norm = Math.hypot(...v);
    if (norm > 1e-6) q.push(v.map((x) => x / norm));
  }
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => eigenvalues.reduce((s, l, k) => s + l * q[k][i] * q[k][j], 0)));
}

const matVec = (a: number[][]): HessianVectorProduct => (v) => a.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
const relative = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);
const frobenius = (a: number[][]) => Math.sqrt(a.flat().reduce((s, x) => s + x * x, 0));
const minus = (a: number[][], b: number[][]) => a.map((row, i) => row.map((x, j) => x - b[i][j]));

describe('power iteration and Jacobi on matrices with a known spectrum', () => {
  // Spectra with a 20 % gap at the top, so 500 products reach 1e-4 for certain (the rate is (λ₂/λ₁)²ᵏ).
  const others = fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 9, maxLength: 9 });

  it('Jacobi returns the spectrum; power iteration its largest eigenvalue within 1e-4 (positive dominant)', () => {
    fc.assert(
      fc.property(others, fc.double({ min: 1.2, max: 5, noNaN: true }), fc.integer({ min: 1, max: 1e6 }), (rest, top, seed) => {
        const spectrum = [top, ...rest];
        const a = withSpectrum(spectrum, seed);
        const exact = [...spectrum].sort((x, y) => y - x);
        const jacobi = jacobiEigenvalues(a);
        jacobi.forEach((l, i) => expect(Math.abs(l - exact[i])).toBeLessThan(1e-9));
        const result = powerIteration(matVec(a), 10, { iters: 500, tol: 1e-12, rng: new Rng(seed) });
        expect(result.shift).toBe(0);
        expect(relative(result.lambdaMax, jacobi[0])).toBeLessThan(1e-4);
      }),
      { numRuns: 40 },
    );
  });

  it('with a negative eigenvalue of largest magnitude, the shifted rerun still returns the largest one', () => {
    fc.assert(
      fc.property(
        others,
        fc.double({ min: 2, max: 6, noNaN: true }),
        fc.double({ min: 0.3, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 1e6 }),
        (rest, negative, gap, seed) => {
          // λ_min = −negative dominates in magnitude; the largest sits `gap` above every other positive one.
          const spectrum = [-negative, 1 + gap, ...rest.slice(1)];
          const a = withSpectrum(spectrum, seed);
          const largest = jacobiEigenvalues(a)[0];
          expect(Math.abs(largest - (1 + gap))).toBeLessThan(1e-9);
          const result = powerIteration(matVec(a), 10, { iters: 2000, tol: 1e-13, rng: new Rng(seed) });
          expect(result.shift).toBeGreaterThan(0);
          expect(relative(result.lambdaMax, largest)).toBeLessThan(1e-4);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('an all-negative spectrum gives its (negative) largest eigenvalue', () => {
    const a = withSpectrum([-0.5, -1, -2, -3, -8], 4);
    const result = powerIteration(matVec(a), 5, { iters: 2000, tol: 1e-13, rng: new Rng(1) });
    expect(relative(result.lambdaMax, -0.5)).toBeLessThan(1e-4);
  });

  it('the explicit Hessian of an exact product is the (symmetric) matrix itself', () => {
    const a = withSpectrum([3, 1, -2, 0.5], 9);
    const h = explicitHessian(matVec(a), 4);
    expect(frobenius(minus(h, a))).toBeLessThan(1e-12);
  });

  it('refuses an empty Hessian with a message that says why', () => {
    expect(() => powerIteration(() => [], 0, { rng: new Rng(1) })).toThrow(/dimension ≥ 1.*undecided/);
  });
});

describe('finite-difference HVP on a quadratic loss ½αᵀAα', () => {
  it('equals A·v on the undecided rows within 1e-3, plus λ_α·v, and leaves α bit-identical', () => {
    const rows = 3;
    const cols = 4;
    const n = rows * cols;
    const a = withSpectrum(Array.from({ length: n }, (_, i) => (i % 3) - 1 + 0.1 * i), 21);
    const alpha = tf.variable(tf.tensor2d(Array.from({ length: n }, (_, i) => 0.01 * i - 0.05), [rows, cols]), true, 'alpha.quad');
    const aT = tf.tensor2d(a.flat(), [n, n]);
    const gradient = (vars: tf.Variable[]) =>
      tf.variableGrads(() => {
        const flat = tf.reshape(vars[0], [n, 1]);
        return tf.mul(0.5, tf.sum(tf.mul(flat, tf.matMul(aT, flat)))) as tf.Scalar;
      }, vars).grads;
    const before = alpha.dataSync().slice();
    const undecided = [0, 2]; // edge 1 is decided: its entries leave the Hessian
    const { dim, hvp } = alphaHvp([{ variable: alpha, rows: undecided }], gradient, { step: 1e-2, weightDecay: 1e-3 });
    expect(dim).toBe(undecided.length * cols);
    const index = undecided.flatMap((r) => Array.from({ length: cols }, (_, c) => r * cols + c));
    const rng = new Rng(3);
    for (let trial = 0; trial < 3; trial++) {
      const v = Array.from({ length: dim }, () => rng.normal());
      const want = index.map((i, p) => index.reduce((s, j, q) => s + a[i][j] * v[q], 0) + 1e-3 * v[p]);
      const got = Array.from(hvp(v));
      const err = Math.max(...got.map((g, i) => Math.abs(g - want[i])));
      expect(err / Math.max(...want.map(Math.abs))).toBeLessThan(1e-3);
    }
    expect(Array.from(alpha.dataSync())).toEqual(Array.from(before));
    alpha.dispose();
    aT.dispose();
  });
});

describe('HVP of a tiny NAS-Bench-201 supernet (C = 4, 1 cell, 8×8 input, batch 8)', () => {
  it('the explicit Hessian and power iteration at DEFAULT_HVP_STEP match a jump-robust reference Hessian', () => {
    const batch = 8;
    const rng = new Rng(5);
    // Seeded inputs and labels: the forward is deterministic (BN batch statistics on a fixed batch).
    const x = tf.tensor4d(Float32Array.from({ length: batch * 64 }, () => rng.normal()), [batch, 8, 8, 1]);
    const y = tf.tensor1d(Array.from({ length: batch }, () => rng.int(10)), 'int32');
    const net = buildNb201Supernet({ channels: 4, cellsPerStage: 1, stages: 1, inputShape: [8, 8, 1], classes: 10 }, new Rng(3));
    const alpha = net.alphas.get('cell')!;
    const [edges, ops] = alpha.shape;
    const dim = edges * ops;
    const gradient = (vars: tf.Variable[]) => lossAndGrads(net, x, y, vars, { updateBnStats: false }).grads;
    const before = alpha.dataSync().slice();
    const tensorsBefore = tf.memory().numTensors;

    // Reference: ∇L is piecewise smooth in α (it jumps where a ReLU input crosses zero), and the autograd
    // Hessian is the slope between jumps. Column j = the per-entry median of the one-sided slopes
    // [∇L(α + (k+1)h·e_j) − ∇L(α + kh·e_j)]/h, k = −K…K−1: a jump spoils only the interval that holds it.
    // Two spacings are built; their agreement shows the reference does not depend on h.
    const gradAt = (j: number, t: number): Float32Array => {
      const original = tf.keep(alpha.clone());
      const delta = new Float32Array(dim);
      delta[j] = t;
      tf.tidy(() => alpha.assign(original.add(tf.tensor2d(delta, [edges, ops]))));
      const grads = gradient([alpha]);
      const g = grads[alpha.name].dataSync() as Float32Array;
      Object.values(grads).forEach((t) => t.dispose());
      alpha.assign(original);
      original.dispose();
      return g;
    };
    const median = (xs: number[]) => {
      const s = [...xs].sort((p, q) => p - q);
      const m = s.length >> 1;
      return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
    };
    const reference = (h: number, K: number): number[][] => {
      const cols: number[][] = [];
      for (let j = 0; j < dim; j++) {
        const gs = Array.from({ length: 2 * K + 1 }, (_, k) => gradAt(j, (k - K) * h));
        cols.push(Array.from({ length: dim }, (_, i) => median(gs.slice(1).map((g, k) => (g[i] - gs[k][i]) / h))));
      }
      return cols.map((_, i) => cols.map((__, j) => (cols[j][i] + cols[i][j]) / 2));
    };
    const ref = reference(2e-4, 4);
    const refCheck = reference(5e-4, 3);
    const refTop = jacobiEigenvalues(ref)[0];
    expect(refTop).toBeGreaterThan(0);
    expect(frobenius(minus(refCheck, ref)) / frobenius(ref)).toBeLessThan(0.05);
    expect(relative(jacobiEigenvalues(refCheck)[0], refTop)).toBeLessThan(0.01);

    // The HVP over all rows at the chosen step: λ_max within 1 %, the whole matrix within 10 %.
    const chosen = alphaHvp([{ variable: alpha, rows: [0, 1, 2, 3, 4, 5] }], gradient, { step: DEFAULT_HVP_STEP });
    expect(chosen.dim).toBe(dim);
    const h = explicitHessian(chosen.hvp, chosen.dim);
    expect(relative(jacobiEigenvalues(h)[0], refTop)).toBeLessThan(0.01);
    expect(frobenius(minus(h, ref)) / frobenius(ref)).toBeLessThan(0.1);
    const power = powerIteration(chosen.hvp, chosen.dim, { iters: 100, tol: 1e-4, rng: new Rng(8) });
    expect(relative(power.lambdaMax, refTop)).toBeLessThan(0.02);
    // The app's setting (≤ 30 products, stop at a 1e-3 relative change) with the α weight decay folded in.
    const indicator = estimateLambdaMax([{ variable: alpha, rows: [0, 1, 2, 3, 4, 5] }], gradient, { weightDecay: 1e-3, rng: new Rng(9) });
    expect(indicator.dim).toBe(dim);
    expect(indicator.gradientCalls).toBe(2 * indicator.iterations);
    expect(relative(indicator.lambdaMax, refTop + 1e-3)).toBeLessThan(0.05);

    // Why the step is small: at r = 1e-2 the step crosses ReLU kinks and λ_max is off by more than 50 %.
    const coarse = alphaHvp([{ variable: alpha, rows: [0, 1, 2, 3, 4, 5] }], gradient, { step: 1e-2 });
    expect(relative(jacobiEigenvalues(explicitHessian(coarse.hvp, dim))[0], refTop)).toBeGreaterThan(0.5);

    // Decided edges leave the Hessian: with edges 1 and 4 decided, dimension 4·ops and the matching sub-block.
    const partial = alphaHvp([{ variable: alpha, rows: [0, 2, 3, 5] }], gradient);
    expect(partial.dim).toBe(4 * ops);
    const keep = [0, 2, 3, 5].flatMap((e) => Array.from({ length: ops }, (_, k) => e * ops + k));
    const sub = keep.map((i) => keep.map((j) => ref[i][j]));
    const hPartial = explicitHessian(partial.hvp, partial.dim);
    expect(frobenius(minus(hPartial, sub)) / frobenius(sub)).toBeLessThan(0.1);

    expect(Array.from(alpha.dataSync())).toEqual(Array.from(before));
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    net.dispose();
    x.dispose();
    y.dispose();
  });
});
