/**
 * The NHWC layer functions of the search engine (ALGORITHMS.md §1.1) against hand/JS reference computations
 * and against the cpu backend's own dilated depthwise conv: pooling padding semantics, FactorizedReduce,
 * the space-to-batch dilated depthwise conv, subsampling and BatchNorm (PyTorch semantics).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import {
  BN_EPS,
  applyBnUpdates,
  avgPool3x3,
  batchNorm,
  depthwise,
  factorizedReduce,
  maxPool3x3,
  subsample,
  type ForwardContext,
} from '../../../../src/main/nas/engine/layers';
import { ParamStore } from '../../../../src/main/nas/engine/params';
import { Rng } from '../../../../src/main/nas/engine/rng';
import { randomArray, relErr } from '../fixtures';

type Shape4 = [number, number, number, number];
const TRAIN: ForwardContext = { training: true, bnUpdates: null };
const EVAL: ForwardContext = { training: false, bnUpdates: null };

const at = (s: Shape4, b: number, y: number, x: number, c: number) => ((b * s[1] + y) * s[2] + x) * s[3] + c;

/** PyTorch 3×3 pool, pad 1, stride s; avg with count_include_pad = False, max ignores the padding. */
function poolRef(x: Float32Array, s: Shape4, stride: number, kind: 'avg' | 'max'): { data: Float32Array; shape: Shape4 } {
  const [B, H, W, C] = s;
  const oh = Math.floor((H - 1) / stride) + 1;
  const ow = Math.floor((W - 1) / stride) + 1;
  const out = new Float32Array(B * oh * ow * C);
  const os: Shape4 = [B, oh, ow, C];
  for (let b = 0; b < B; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let c = 0; c < C; c++) {
          let acc = kind === 'avg' ? 0 : -Infinity;
          let n = 0;
          for (let y = i * stride - 1; y <= i * stride + 1; y++)
            for (let xx = j * stride - 1; xx <= j * stride + 1; xx++) {
              if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
              const v = x[at(s, b, y, xx, c)];
              acc = kind === 'avg' ? acc + v : Math.max(acc, v);
              n++;
            }
          out[at(os, b, i, j, c)] = kind === 'avg' ? acc / n : acc;
        }
  return { data: out, shape: os };
}

/** Direct dilated depthwise conv with PyTorch semantics (symmetric zero pad, stride, dilation). */
function depthwiseRef(x: Float32Array, s: Shape4, f: Float32Array, k: number, stride: number, pad: number, d: number) {
  const [B, H, W, C] = s;
  const oh = Math.floor((H + 2 * pad - d * (k - 1) - 1) / stride) + 1;
  const ow = Math.floor((W + 2 * pad - d * (k - 1) - 1) / stride) + 1;
  const os: Shape4 = [B, oh, ow, C];
  const out = new Float32Array(B * oh * ow * C);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let c = 0; c < C; c++) {
          let acc = 0;
          for (let u = 0; u < k; u++)
            for (let v = 0; v < k; v++) {
              const y = i * stride - pad + u * d;
              const xx = j * stride - pad + v * d;
              if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
              acc += x[at(s, b, y, xx, c)] * f[(u * k + v) * C + c];
            }
          out[at(os, b, i, j, c)] = acc;
        }
  return { data: out, shape: os };
}

function run<T extends tf.Tensor>(f: () => T): { data: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const t = f();
    return { data: t.dataSync() as Float32Array, shape: t.shape };
  });
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('avg_pool_3x3 (count_include_pad = False)', () => {
  it('stride 1: a corner averages its 4 real cells and an edge pixel its 6, not 9', () => {
    // 4×4 single channel, values 1..16 row-major.
    const vals = Float32Array.from({ length: 16 }, (_, i) => i + 1);
    const out = run(() => avgPool3x3(1)(EVAL, tf.tensor4d(vals, [1, 4, 4, 1])));
    expect(out.shape).toEqual([1, 4, 4, 1]);
    // Corner (0,0): (1 + 2 + 5 + 6) / 4 = 3.5 (with the padding counted it would be 14/9).
    expect(out.data[0]).toBeCloseTo(3.5, 5);
    // Top edge (0,1): (1+2+3+5+6+7)/6 = 4.
    expect(out.data[1]).toBeCloseTo(4, 5);
    // Bottom-right corner (3,3): (11+12+15+16)/4 = 13.5.
    expect(out.data[15]).toBeCloseTo(13.5, 5);
    // Interior (1,1): (1+2+3+5+6+7+9+10+11)/9 = 6.
    expect(out.data[5]).toBeCloseTo(6, 5);
    // A constant image stays constant everywhere, borders included.
    const ones = run(() => avgPool3x3(1)(EVAL, tf.fill([2, 5, 5, 3], 2.5) as tf.Tensor4D));
    for (const v of ones.data) expect(v).toBeCloseTo(2.5, 6);
  });

  it('stride 2 on even and odd sizes: PyTorch output size, and every pixel matches the reference', () => {
    for (const s of [
      [2, 6, 6, 3],
      [1, 5, 7, 2],
      [2, 8, 8, 1],
      [1, 7, 7, 4],
    ] as Shape4[]) {
      const x = randomArray(s.reduce((a, b) => a * b, 1), 11 + s[1] + s[2]);
      for (const stride of [1, 2]) {
        const want = poolRef(x, s, stride, 'avg');
        const got = run(() => avgPool3x3(stride)(EVAL, tf.tensor4d(x, s)));
        expect(got.shape).toEqual(want.shape);
        expect(relErr(got.data, want.data)).toBeLessThan(1e-6);
      }
    }
    // Hand check of the stride-2 boundary on a 6×6 ramp: output (0,0) covers rows/cols 0..1 only.
    const ramp = Float32Array.from({ length: 36 }, (_, i) => i);
    const got = run(() => avgPool3x3(2)(EVAL, tf.tensor4d(ramp, [1, 6, 6, 1])));
    expect(got.shape).toEqual([1, 3, 3, 1]);
    expect(got.data[0]).toBeCloseTo((0 + 1 + 6 + 7) / 4, 5);
    // Output (0,1) is centred on column 2: cols 1..3 of rows 0..1.
    expect(got.data[1]).toBeCloseTo((1 + 2 + 3 + 7 + 8 + 9) / 6, 5);
    // Output (2,2) is centred on (4,4): rows/cols 3..5, all real.
    expect(got.data[8]).toBeCloseTo((21 + 22 + 23 + 27 + 28 + 29 + 33 + 34 + 35) / 9, 5);
  });
});

describe('avg_pool_3x3 gradient', () => {
  // Reference: the same pool built from ops whose gradients tfjs gets right (explicit zero pad, unpadded
  // pool, division by the count of real cells). The fast stride-1 path must give the same gradient at the
  // borders, on wasm and on cpu, where tfjs's own AvgPoolGrad divides by 9.
  const reference = (x: tf.Tensor4D) => {
    const [, h, w] = x.shape;
    const pad = (t: tf.Tensor4D) => tf.pad(t, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const count = tf.mul(tf.avgPool(pad(tf.ones([1, h, w, 1]) as tf.Tensor4D), 3, 1, 'valid'), 9);
    return tf.div(tf.mul(tf.avgPool(pad(x), 3, 1, 'valid'), 9), count);
  };
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`stride 1 matches the explicit count_include_pad=False pool in value and gradient (${backend})`, async () => {
      await initBackend(backend);
      const x = tf.tensor4d(randomArray(2 * 5 * 6 * 3, 11), [2, 5, 6, 3]);
      const weights = tf.tensor4d(randomArray(2 * 5 * 6 * 3, 12), [2, 5, 6, 3]);
      const fast = avgPool3x3(1);
      const f = (t: tf.Tensor) => tf.sum(tf.mul(fast({ training: true, bnUpdates: null }, t as tf.Tensor4D), weights));
      const r = (t: tf.Tensor) => tf.sum(tf.mul(reference(t as tf.Tensor4D), weights));
      expect(relErr(fast({ training: true, bnUpdates: null }, x).dataSync(), reference(x).dataSync())).toBeLessThan(1e-5);
      expect(relErr(tf.grad(f)(x).dataSync(), tf.grad(r)(x).dataSync())).toBeLessThan(1e-5);
    });
  }
  it('restores the wasm backend for the remaining tests', async () => {
    await initBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('max_pool_3x3', () => {
  it('pads with −∞ (a negative image never picks up a 0 from the padding), strides 1 and 2', () => {
    for (const s of [
      [2, 6, 6, 2],
      [1, 5, 5, 3],
    ] as Shape4[]) {
      const x = randomArray(s.reduce((a, b) => a * b, 1), 5 + s[1], 1, -3); // all in (−4, −2)
      for (const stride of [1, 2]) {
        const want = poolRef(x, s, stride, 'max');
        const got = run(() => maxPool3x3(stride)(EVAL, tf.tensor4d(x, s)));
        expect(got.shape).toEqual(want.shape);
        expect(relErr(got.data, want.data)).toBe(0);
        expect(Math.max(...got.data)).toBeLessThan(-2);
      }
    }
  });
});

describe('FactorizedReduce', () => {
  it('halves H and W (rounding up) for even and odd sizes, with cout channels', () => {
    const p = new ParamStore(new Rng(1));
    const fr = factorizedReduce(p, 'fr', 3, 4, false);
    for (const [h, w, oh, ow] of [
      [8, 8, 4, 4],
      [7, 7, 4, 4],
      [6, 9, 3, 5],
      [1, 2, 1, 1],
    ]) {
      const out = run(() => fr(TRAIN, tf.ones([2, h, w, 3]) as tf.Tensor4D));
      expect(out.shape).toEqual([2, oh, ow, 4]);
    }
    expect(() => factorizedReduce(p, 'odd', 3, 5, false)).toThrow(/even number of output channels/);
    p.dispose();
  });

  it('computes relu → [1×1/2 conv on x, 1×1/2 conv on x shifted by one pixel] → BN', () => {
    for (const [h, w] of [
      [6, 6],
      [5, 7],
    ]) {
      const p = new ParamStore(new Rng(2));
      const fr = factorizedReduce(p, 'fr', 3, 4, false);
      const w1 = p.trainable.get('fr.conv1')!.dataSync();
      const w2 = p.trainable.get('fr.conv2')!.dataSync();
      const s: Shape4 = [2, h, w, 3];
      const x = randomArray(2 * h * w * 3, 40 + h);
      // Eval mode with the initial running stats (0, 1): BN is a division by √(1 + eps).
      const got = run(() => fr(EVAL, tf.tensor4d(x, s)));
      const oh = Math.ceil(h / 2);
      const ow = Math.ceil(w / 2);
      expect(got.shape).toEqual([2, oh, ow, 4]);
      const want = new Float32Array(got.data.length);
      const os: Shape4 = [2, oh, ow, 4];
      const relu = (v: number) => Math.max(v, 0);
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++)
            for (let o = 0; o < 2; o++) {
              let a = 0;
              let c2 = 0;
              for (let c = 0; c < 3; c++) {
                a += relu(x[at(s, b, 2 * i, 2 * j, c)]) * w1[c * 2 + o];
                if (2 * i + 1 < h && 2 * j + 1 < w) c2 += relu(x[at(s, b, 2 * i + 1, 2 * j + 1, c)]) * w2[c * 2 + o];
              }
              want[at(os, b, i, j, o)] = a / Math.sqrt(1 + BN_EPS);
              want[at(os, b, i, j, 2 + o)] = c2 / Math.sqrt(1 + BN_EPS);
            }
      expect(relErr(got.data, want)).toBeLessThan(1e-5);
      p.dispose();
    }
  });
});

describe('dilated depthwise conv (space-to-batch)', () => {
  const cases: Array<{ k: number; d: number; h: number; w: number }> = [
    { k: 3, d: 2, h: 8, w: 8 },
    { k: 3, d: 2, h: 7, w: 9 },
    { k: 5, d: 2, h: 8, w: 8 },
    { k: 5, d: 2, h: 9, w: 7 },
    { k: 3, d: 3, h: 10, w: 11 },
  ];

  it('equals tf.depthwiseConv2d with dilations on the cpu backend (stride 1) and the direct reference (strides 1, 2)', async () => {
    const C = 3;
    const B = 2;
    // References first, on the cpu backend's own dilated depthwise kernel.
    await initBackend('cpu');
    const refs = cases.map(({ k, d, h, w }, n) => {
      const x = randomArray(B * h * w * C, 100 + n);
      const f = randomArray(k * k * C, 200 + n);
      const cpu = run(() => tf.depthwiseConv2d(tf.tensor4d(x, [B, h, w, C]), tf.tensor4d(f, [k, k, C, 1]), 1, (d * (k - 1)) / 2, 'NHWC', d));
      return { x, f, cpu };
    });
    await initBackend('wasm');
    cases.forEach(({ k, d, h, w }, n) => {
      const { x, f, cpu } = refs[n];
      const s: Shape4 = [B, h, w, C];
      const pad = (d * (k - 1)) / 2;
      const filter = tf.variable(tf.tensor4d(f, [k, k, C, 1]), false);
      for (const stride of [1, 2]) {
        const got = run(() => depthwise(tf.tensor4d(x, s), filter, stride, pad, d));
        const want = depthwiseRef(x, s, f, k, stride, pad, d);
        expect(got.shape, `k${k} d${d} ${h}×${w} s${stride}`).toEqual(want.shape);
        expect(relErr(got.data, want.data), `k${k} d${d} ${h}×${w} s${stride}`).toBeLessThan(1e-5);
        if (stride === 1) {
          expect(cpu.shape).toEqual(want.shape);
          expect(relErr(got.data, cpu.data)).toBeLessThan(1e-5);
        }
      }
      filter.dispose();
    });
  });

  it('dilation 1 is the plain depthwise conv (strides 1 and 2)', () => {
    const s: Shape4 = [2, 7, 8, 2];
    const x = randomArray(2 * 7 * 8 * 2, 9);
    const f = randomArray(9 * 2, 10);
    const filter = tf.variable(tf.tensor4d(f, [3, 3, 2, 1]), false);
    for (const stride of [1, 2]) {
      const got = run(() => depthwise(tf.tensor4d(x, s), filter, stride, 1, 1));
      const want = depthwiseRef(x, s, f, 3, stride, 1, 1);
      expect(got.shape).toEqual(want.shape);
      expect(relErr(got.data, want.data)).toBeLessThan(1e-5);
    }
    filter.dispose();
  });
});

describe('subsample', () => {
  it('equals x[:, ::s, ::s, :] for even and odd sizes and strides 2, 3', () => {
    for (const s of [
      [2, 8, 8, 3],
      [1, 7, 5, 2],
      [2, 9, 10, 1],
      [1, 1, 4, 2],
    ] as Shape4[]) {
      const x = randomArray(s.reduce((a, b) => a * b, 1), s[1] * 31 + s[2]);
      for (const stride of [2, 3]) {
        const oh = Math.ceil(s[1] / stride);
        const ow = Math.ceil(s[2] / stride);
        const os: Shape4 = [s[0], oh, ow, s[3]];
        const want = new Float32Array(s[0] * oh * ow * s[3]);
        for (let b = 0; b < s[0]; b++)
          for (let i = 0; i < oh; i++)
            for (let j = 0; j < ow; j++) for (let c = 0; c < s[3]; c++) want[at(os, b, i, j, c)] = x[at(s, b, i * stride, j * stride, c)];
        const got = run(() => subsample(tf.tensor4d(x, s), stride));
        expect(got.shape).toEqual(os);
        expect(Array.from(got.data)).toEqual(Array.from(want));
      }
    }
  });

  it('has a gradient that scatters back onto the sampled pixels', () => {
    const x = tf.tensor4d(randomArray(1 * 5 * 5 * 1, 3), [1, 5, 5, 1]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(subsample(t as tf.Tensor4D, 2)))(x);
    const data = g.dataSync();
    for (let y = 0; y < 5; y++) for (let xx = 0; xx < 5; xx++) expect(data[y * 5 + xx]).toBe(y % 2 === 0 && xx % 2 === 0 ? 1 : 0);
    tf.dispose([x, g]);
  });
});

describe('BatchNorm (PyTorch semantics)', () => {
  const s: Shape4 = [4, 5, 5, 3];
  const n = 4 * 5 * 5;
  // Channel c has mean ≈ 2c − 1 and spread ≈ c + 1.
  function input(seed: number): Float32Array {
    const x = randomArray(n * 3, seed);
    for (let i = 0; i < x.length; i++) {
      const c = i % 3;
      x[i] = x[i] * (c + 1) + 2 * c - 1;
    }
    return x;
  }
  function stats(x: Float32Array): { mean: number[]; biased: number[]; unbiased: number[] } {
    const mean = [0, 0, 0];
    const sq = [0, 0, 0];
    for (let i = 0; i < x.length; i++) mean[i % 3] += x[i] / n;
    for (let i = 0; i < x.length; i++) sq[i % 3] += (x[i] - mean[i % 3]) ** 2;
    return { mean, biased: sq.map((v) => v / n), unbiased: sq.map((v) => v / (n - 1)) };
  }

  it('training mode normalises each channel to mean 0, variance 1 (batch statistics)', () => {
    const p = new ParamStore(new Rng(4));
    const bn = p.batchNorm('bn', 3, false);
    const x = input(1);
    const y = run(() => batchNorm(TRAIN, tf.tensor4d(x, s), bn)).data;
    const st = stats(y);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(st.mean[c])).toBeLessThan(1e-5);
      expect(st.biased[c]).toBeCloseTo(1, 3);
    }
    // Without an update list the running statistics are untouched.
    expect(Array.from(bn.runningMean.dataSync())).toEqual([0, 0, 0]);
    expect(Array.from(bn.runningVar.dataSync())).toEqual([1, 1, 1]);
    p.dispose();
  });

  it('updates running stats as running = 0.9·running + 0.1·batch, with the unbiased batch variance', () => {
    const p = new ParamStore(new Rng(5));
    const bn = p.batchNorm('bn', 3, true);
    const x1 = input(2);
    const x2 = input(3);
    const ctx: ForwardContext = { training: true, bnUpdates: [] };
    tf.tidy(() => {
      batchNorm(ctx, tf.tensor4d(x1, s), bn);
    });
    expect(ctx.bnUpdates!.length).toBe(2);
    applyBnUpdates(ctx.bnUpdates!);
    expect(ctx.bnUpdates!.length).toBe(0);
    const a = stats(x1);
    const m1 = a.mean.map((m) => 0.1 * m);
    const v1 = a.unbiased.map((v) => 0.9 + 0.1 * v);
    expect(relErr(bn.runningMean.dataSync(), m1)).toBeLessThan(1e-5);
    expect(relErr(bn.runningVar.dataSync(), v1)).toBeLessThan(1e-5);
    tf.tidy(() => {
      batchNorm(ctx, tf.tensor4d(x2, s), bn);
    });
    applyBnUpdates(ctx.bnUpdates!);
    const b = stats(x2);
    expect(relErr(bn.runningMean.dataSync(), m1.map((m, c) => 0.9 * m + 0.1 * b.mean[c]))).toBeLessThan(1e-5);
    expect(relErr(bn.runningVar.dataSync(), v1.map((v, c) => 0.9 * v + 0.1 * b.unbiased[c]))).toBeLessThan(1e-5);
    // The unbiased variance matters: the biased one would give a visibly different value.
    expect(Math.abs(v1[2] - (0.9 + 0.1 * a.biased[2]))).toBeGreaterThan(1e-3);
    p.dispose();
  });

  it('eval mode uses the running statistics and the affine parameters, and records no update', () => {
    const p = new ParamStore(new Rng(6));
    const bn = p.batchNorm('bn', 3, true);
    const rm = [0.5, -1, 2];
    const rv = [4, 0.25, 1.5];
    const gamma = [2, -1, 0.5];
    const beta = [0.1, 0.2, -0.3];
    bn.runningMean.assign(tf.tensor1d(rm));
    bn.runningVar.assign(tf.tensor1d(rv));
    (bn.gamma as tf.Variable).assign(tf.tensor1d(gamma));
    (bn.beta as tf.Variable).assign(tf.tensor1d(beta));
    const x = input(7);
    const ctx: ForwardContext = { training: false, bnUpdates: [] };
    const y = run(() => batchNorm(ctx, tf.tensor4d(x, s), bn)).data;
    const want = Float32Array.from(x, (v, i) => {
      const c = i % 3;
      return ((v - rm[c]) / Math.sqrt(rv[c] + BN_EPS)) * gamma[c] + beta[c];
    });
    expect(relErr(y, want)).toBeLessThan(1e-5);
    expect(ctx.bnUpdates!.length).toBe(0);
    expect(Array.from(bn.runningMean.dataSync())).toEqual(rm);
    p.dispose();
  });
});
