/**
 * Parity of the composite wasm training kernels against the cpu backend's reference kernels, on random inputs.
 *
 * The cpu backend's depthwise backprop kernels ignore the dilation attribute, so for dilation > 1 the
 * reference uses the identity "a dilated filter is an undilated filter with zeros between the taps": the cpu
 * kernels run on the zero-upsampled filter with dilation 1, and the filter gradient is read at the taps.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { registerWasmTrainingKernels } from '../../../../src/main/nas/engine/kernels';
import { Rng } from '../../../../src/main/nas/engine/rng';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

// Deterministic inputs from the engine's seeded generator, so a failure is reproducible.
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}
function randArray(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Zero-upsample a [KH,KW,A,B] filter by dilation d: [(KH-1)d+1, (KW-1)d+1, A, B]. */
function upsampleFilter(f: Float32Array, s: Shape4, d: number): { data: Float32Array; shape: Shape4 } {
  const [kh, kw, a, b] = s;
  const eh = (kh - 1) * d + 1;
  const ew = (kw - 1) * d + 1;
  const out = new Float32Array(eh * ew * a * b);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let k = 0; k < a * b; k++) out[((i * d) * ew + j * d) * a * b + k] = f[(i * kw + j) * a * b + k]!;
  return { data: out, shape: [eh, ew, a, b] };
}
/** Read the taps of an upsampled filter back: inverse of upsampleFilter's placement. */
function sampleTaps(f: Float32Array, s: Shape4, d: number): Float32Array {
  const [kh, kw, a, b] = s;
  const ew = (kw - 1) * d + 1;
  const out = new Float32Array(kh * kw * a * b);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let k = 0; k < a * b; k++) out[(i * kw + j) * a * b + k] = f[((i * d) * ew + j * d) * a * b + k]!;
  return out;
}

function relErr(got: Float32Array | number[], want: Float32Array | number[]): number {
  let maxErr = 0;
  let maxRef = 0;
  for (let i = 0; i < want.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(got[i]! - want[i]!));
    maxRef = Math.max(maxRef, Math.abs(want[i]!));
  }
  return maxErr / Math.max(maxRef, 1e-6);
}

async function on<T>(backend: string, fn: () => T): Promise<T> {
  await tf.setBackend(backend);
  return fn();
}

/** Run a kernel by name on a backend and return its values (tensors created and freed on that backend). */
async function runOn(
  backend: string,
  kernel: string,
  inputs: Record<string, { data: Float32Array; shape: number[] }>,
  attrs: Record<string, unknown>,
): Promise<{ values: Float32Array; shape: number[] }> {
  return on(backend, async () => {
    const ts: tf.NamedTensorMap = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data, v.shape, 'float32');
    const out = tf.engine().runKernel(kernel, ts, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    const values = (await out.data()) as Float32Array;
    const shape = out.shape;
    out.dispose();
    Object.values(ts).forEach((t) => t.dispose());
    return { values, shape };
  });
}

const TOL = 1e-4;

interface Case {
  name: string;
  x: Shape4; // NHWC input
  k: number; // kernel size
  stride: number;
  dil: number;
  pad: Pad;
  cout: number; // conv2d out channels
  mult: number; // depthwise channel multiplier
}

function cases(): Case[] {
  const out: Case[] = [];
  const inputs: Shape4[] = [
    [2, 9, 9, 3],
    [3, 8, 7, 4],
  ];
  const pads: Pad[] = ['same', 'valid', 1, [[0, 0], [2, 1], [0, 2], [0, 0]]];
  let i = 0;
  for (const x of inputs)
    for (const k of [1, 3, 5])
      for (const stride of [1, 2])
        for (const dil of [1, 2])
          for (const pad of pads) {
            const effK = (k - 1) * dil + 1;
            if (pad === 'valid' && effK > Math.min(x[1], x[2])) continue;
            i++;
            out.push({
              name: `x=${x.join('x')} k=${k} s=${stride} d=${dil} pad=${JSON.stringify(pad)}`,
              x,
              k,
              stride,
              dil,
              pad,
              cout: 2 + (i % 4),
              mult: 1 + (i % 2),
            });
          }
  return out;
}

function outShape(c: Case, depthwise: boolean, cout: number): Shape4 {
  const fshape: Shape4 = [c.k, c.k, c.x[3], depthwise ? c.mult : cout];
  const info = tf.backend_util.computeConv2DInfo(c.x, fshape, c.stride, c.dil, c.pad, undefined, depthwise);
  return info.outShape as Shape4;
}

beforeAll(async () => {
  const info = await initBackend('wasm');
  expect(info.backend).toBe('wasm');
  registerWasmTrainingKernels();
});

describe('wasm training kernels match the cpu backend', () => {
  const all = cases();

  it('Conv2DBackpropFilter (strides, paddings, kernel sizes 1/3/5)', async () => {
    let n = 0;
    for (const c of all.filter((c) => c.dil === 1)) {
      const r = rng(n++ + 1);
      const fshape: Shape4 = [c.k, c.k, c.x[3], c.cout];
      const dyShape = outShape(c, false, c.cout);
      const inputs = {
        x: { data: randArray(size(c.x), r), shape: c.x },
        dy: { data: randArray(size(dyShape), r), shape: dyShape },
      };
      const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', filterShape: fshape };
      const got = await runOn('wasm', tf.Conv2DBackpropFilter, inputs, attrs);
      const want = await runOn('cpu', tf.Conv2DBackpropFilter, inputs, attrs);
      expect(got.shape, c.name).toEqual(want.shape);
      expect(relErr(got.values, want.values), c.name).toBeLessThan(TOL);
    }
    expect(n).toBeGreaterThan(20);
  });

  it('Conv2DBackpropInput replacement (strides, paddings, kernel sizes 1/3/5)', async () => {
    let n = 0;
    for (const c of all.filter((c) => c.dil === 1)) {
      const r = rng(1000 + n++);
      const fshape: Shape4 = [c.k, c.k, c.x[3], c.cout];
      const dyShape = outShape(c, false, c.cout);
      const inputs = {
        dy: { data: randArray(size(dyShape), r), shape: dyShape },
        filter: { data: randArray(size(fshape), r), shape: fshape },
      };
      const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
      const got = await runOn('wasm', tf.Conv2DBackpropInput, inputs, attrs);
      const want = await runOn('cpu', tf.Conv2DBackpropInput, inputs, attrs);
      expect(got.shape, c.name).toEqual(c.x);
      expect(relErr(got.values, want.values), c.name).toBeLessThan(TOL);
    }
    expect(n).toBeGreaterThan(20);
  });

  it('DepthwiseConv2dNativeBackpropFilter (strides, dilations, paddings, channel multipliers)', async () => {
    let n = 0;
    for (const c of all) {
      const r = rng(2000 + n++);
      const fshape: Shape4 = [c.k, c.k, c.x[3], c.mult];
      const dyShape = outShape(c, true, 0);
      const inputs = {
        x: { data: randArray(size(c.x), r), shape: c.x },
        dy: { data: randArray(size(dyShape), r), shape: dyShape },
      };
      const attrs = { strides: [c.stride, c.stride], pad: c.pad, dilations: [c.dil, c.dil], filterShape: fshape };
      const got = await runOn('wasm', tf.DepthwiseConv2dNativeBackpropFilter, inputs, attrs);
      // Reference: the dilation-1 cpu kernel on the zero-upsampled filter, read back at the taps.
      const up = upsampleFilter(new Float32Array(size(fshape)), fshape, c.dil);
      const ref = await runOn('cpu', tf.DepthwiseConv2dNativeBackpropFilter, inputs, {
        ...attrs,
        dilations: [1, 1],
        filterShape: up.shape,
      });
      expect(got.shape, c.name).toEqual(fshape);
      expect(relErr(got.values, sampleTaps(ref.values, fshape, c.dil)), c.name).toBeLessThan(TOL);
    }
    expect(n).toBeGreaterThan(40);
  });

  it('DepthwiseConv2dNativeBackpropInput (strides, dilations, paddings, channel multipliers)', async () => {
    let n = 0;
    for (const c of all) {
      const r = rng(3000 + n++);
      const fshape: Shape4 = [c.k, c.k, c.x[3], c.mult];
      const dyShape = outShape(c, true, 0);
      const f = randArray(size(fshape), r);
      const dy = { data: randArray(size(dyShape), r), shape: dyShape };
      const attrs = { strides: [c.stride, c.stride], pad: c.pad, dilations: [c.dil, c.dil], inputShape: c.x };
      const got = await runOn('wasm', tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: { data: f, shape: fshape } }, attrs);
      const up = upsampleFilter(f, fshape, c.dil);
      const want = await runOn('cpu', tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: up }, {
        ...attrs,
        dilations: [1, 1],
      });
      expect(got.shape, c.name).toEqual(c.x);
      expect(relErr(got.values, want.values), c.name).toBeLessThan(TOL);
    }
    expect(n).toBeGreaterThan(40);
  });

  it('NCHW data format goes through the same kernels', async () => {
    const r = rng(77);
    const xN: Shape4 = [2, 3, 9, 8]; // NCHW
    const fshape: Shape4 = [3, 3, 3, 5];
    const xs = randArray(size(xN), r);
    const fs = randArray(size(fshape), r);
    const attrsBase = { strides: [2, 2], pad: 'same', dataFormat: 'NCHW' };
    const info = tf.backend_util.computeConv2DInfo(xN, fshape, 2, 1, 'same', undefined, false, 'channelsFirst');
    const dyShape = info.outShape as Shape4;
    const dy = randArray(size(dyShape), r);
    for (const backend of ['wasm']) {
      const gf = await runOn(backend, tf.Conv2DBackpropFilter, { x: { data: xs, shape: xN }, dy: { data: dy, shape: dyShape } }, { ...attrsBase, filterShape: fshape });
      const wf = await runOn('cpu', tf.Conv2DBackpropFilter, { x: { data: xs, shape: xN }, dy: { data: dy, shape: dyShape } }, { ...attrsBase, filterShape: fshape });
      expect(relErr(gf.values, wf.values)).toBeLessThan(TOL);
      const gi = await runOn(backend, tf.Conv2DBackpropInput, { dy: { data: dy, shape: dyShape }, filter: { data: fs, shape: fshape } }, { ...attrsBase, inputShape: xN });
      const wi = await runOn('cpu', tf.Conv2DBackpropInput, { dy: { data: dy, shape: dyShape }, filter: { data: fs, shape: fshape } }, { ...attrsBase, inputShape: xN });
      expect(relErr(gi.values, wi.values)).toBeLessThan(TOL);
    }
  });
});

describe('pooling and batch-norm gradients', () => {
  // tfjs's own AvgPoolGrad kernels (cpu and wasm) divide by the full window size, but the forward avgPool
  // averages over in-bounds inputs only, so their gradient is wrong at 'same'-padded borders. The replacement
  // is the exact gradient of the forward; it is checked against a direct loop, and against cpu where no
  // padding is involved ('valid').
  function avgPoolGradRef(dy: Float32Array, xs: Shape4, info: tf.backend_util.Conv2DInfo): Float32Array {
    const [b, h, w, c] = xs;
    const dx = new Float32Array(size(xs));
    for (let n = 0; n < b; n++)
      for (let oh = 0; oh < info.outHeight; oh++)
        for (let ow = 0; ow < info.outWidth; ow++) {
          const r0 = oh * info.strideHeight - info.padInfo.top;
          const c0 = ow * info.strideWidth - info.padInfo.left;
          const rs = Math.max(0, r0), re = Math.min(h, r0 + info.filterHeight);
          const cs = Math.max(0, c0), ce = Math.min(w, c0 + info.filterWidth);
          const count = (re - rs) * (ce - cs);
          for (let ch = 0; ch < c; ch++) {
            const g = dy[((n * info.outHeight + oh) * info.outWidth + ow) * c + ch]! / count;
            for (let i = rs; i < re; i++) for (let j = cs; j < ce; j++) dx[((n * h + i) * w + j) * c + ch]! += g;
          }
        }
    return dx;
  }

  it('AvgPoolGrad replacement is the exact gradient of avgPool (sizes 2/3/5, strides 1/2, same/valid)', async () => {
    let n = 0;
    for (const xs of [[2, 9, 9, 3], [3, 8, 7, 4]] as Shape4[])
      for (const f of [2, 3, 5])
        for (const stride of [1, 2])
          for (const pad of ['same', 'valid'] as const) {
            const name = `x=${xs} f=${f} s=${stride} ${pad}`;
            const info = tf.backend_util.computePool2DInfo(xs, f, stride, 1, pad);
            const r = rng(4000 + n++);
            const dy = randArray(size(info.outShape), r);
            const inputs = { dy: { data: dy, shape: info.outShape }, input: { data: randArray(size(xs), r), shape: xs } };
            const attrs = { filterSize: [f, f], strides: [stride, stride], pad };
            const got = await runOn('wasm', tf.AvgPoolGrad, inputs, attrs);
            expect(got.shape, name).toEqual(xs);
            expect(relErr(got.values, avgPoolGradRef(dy, xs, info)), name).toBeLessThan(TOL);
            if (pad === 'valid') {
              const cpu = await runOn('cpu', tf.AvgPoolGrad, inputs, attrs);
              expect(relErr(got.values, cpu.values), name).toBeLessThan(TOL);
            }
          }
    expect(n).toBe(24);
  });

  it('the avgPool gradient agrees with finite differences of the forward at padded borders', async () => {
    await tf.setBackend('wasm');
    const xs: Shape4 = [1, 5, 5, 2];
    const xd = randArray(size(xs), rng(8));
    const wd = randArray(size(xs), rng(9));
    const wt = tf.tensor4d(wd, xs);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(x as tf.Tensor4D, 3, 1, 'same'), wt));
    const g = tf.grad(loss)(tf.tensor4d(xd, xs)).dataSync();
    const eps = 1e-2;
    for (const idx of [0, 1, 12, 24, 49]) {
      const p = Float32Array.from(xd);
      const m = Float32Array.from(xd);
      p[idx]! += eps;
      m[idx]! -= eps;
      const fd = (loss(tf.tensor4d(p, xs)).dataSync()[0]! - loss(tf.tensor4d(m, xs)).dataSync()[0]!) / (2 * eps);
      expect(Math.abs(g[idx]! - fd), `index ${idx}`).toBeLessThan(1e-3);
    }
    wt.dispose();
  });

  it('tf.grads through tf.batchNorm (training statistics) match a composition of elementary ops, on wasm and cpu', async () => {
    const r = rng(55);
    const xs: Shape4 = [4, 6, 5, 3];
    const xd = randArray(size(xs), r);
    const gd = randArray(3, r);
    const bd = randArray(3, r);
    const md = randArray(size(xs), r);
    const run = (backend: string, fused: boolean) =>
      on(backend, async () => {
        const x = tf.tensor4d(xd, xs);
        const gamma = tf.tensor1d(gd);
        const beta = tf.tensor1d(bd);
        const mask = tf.tensor4d(md, xs);
        const g = tf.grads((a: tf.Tensor, gm: tf.Tensor, bt: tf.Tensor) => {
          const { mean, variance } = tf.moments(a, [0, 1, 2]);
          const y = fused
            ? tf.batchNorm(a, mean, variance, bt as tf.Tensor1D, gm as tf.Tensor1D, 1e-3)
            : tf.add(tf.mul(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, 1e-3))), gm), bt);
          return tf.sum(tf.mul(y, mask));
        });
        const out = await Promise.all(g([x, gamma, beta]).map(async (t) => (await t.data()) as Float32Array));
        tf.dispose([x, gamma, beta, mask]);
        return out;
      });
    const ref = await run('cpu', false);
    for (const backend of ['wasm', 'cpu']) {
      const got = await run(backend, true);
      for (let i = 0; i < 3; i++) expect(relErr(got[i]!, ref[i]!), `${backend} input ${i}`).toBeLessThan(TOL);
    }
  });
});

describe('end-to-end gradients on wasm match cpu', () => {
  async function grads(
    backend: string,
    f: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
    xd: Float32Array,
    xs: Shape4,
    wd: Float32Array,
    ws: Shape4,
    mask: (shape: number[]) => Float32Array,
  ): Promise<[Float32Array, Float32Array]> {
    return on(backend, async () => {
      const x = tf.tensor4d(xd, xs);
      const w = tf.tensor4d(wd, ws);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
        const y = f(a as tf.Tensor4D, b as tf.Tensor4D);
        // A random weighting so dy is not all ones.
        return tf.sum(tf.mul(y, tf.tensor(mask(y.shape), y.shape)));
      });
      const [gx, gw] = g([x, w]);
      const out: [Float32Array, Float32Array] = [(await gx!.data()) as Float32Array, (await gw!.data()) as Float32Array];
      tf.dispose([x, w, gx!, gw!]);
      return out;
    });
  }
  const maskFrom = (seed: number) => (shape: number[]) => randArray(size(shape), rng(seed));

  for (const [stride, pad] of [
    [1, 'same'],
    [2, 'same'],
    [1, 'valid'],
    [2, 'valid'],
  ] as const) {
    it(`tf.grads of conv2d (3x3, stride ${stride}, ${pad}) wrt x and filter`, async () => {
      const r = rng(11 + stride);
      const xs: Shape4 = [2, 10, 10, 3];
      const ws: Shape4 = [3, 3, 3, 4];
      const xd = randArray(size(xs), r);
      const wd = randArray(size(ws), r);
      const f = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, stride, pad);
      const [gx, gw] = await grads('wasm', f, xd, xs, wd, ws, maskFrom(5));
      const [rx, rw] = await grads('cpu', f, xd, xs, wd, ws, maskFrom(5));
      expect(relErr(gx, rx)).toBeLessThan(TOL);
      expect(relErr(gw, rw)).toBeLessThan(TOL);
    });
  }

  it('tf.grads of depthwiseConv2d with dilation 2 (tfjs-core alone refuses it) matches the upsampled-filter reference', async () => {
    const r = rng(21);
    const xs: Shape4 = [2, 11, 11, 4];
    const ws: Shape4 = [3, 3, 4, 2];
    const xd = randArray(size(xs), r);
    const wd = randArray(size(ws), r);
    const dilated = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.depthwiseConv2d(x, w, 1, 'same', 'NHWC', 2);
    const [gx, gw] = await grads('wasm', dilated, xd, xs, wd, ws, maskFrom(9));
    // Reference on cpu: dilation 1 with the zero-upsampled filter (cpu's own kernels, no composite code).
    const up = upsampleFilter(wd, ws, 2);
    const plain = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.depthwiseConv2d(x, w, 1, 'same');
    const [rx, rwUp] = await grads('cpu', plain, xd, xs, up.data, up.shape, maskFrom(9));
    expect(relErr(gx, rx)).toBeLessThan(TOL);
    expect(relErr(gw, sampleTaps(rwUp, ws, 2))).toBeLessThan(TOL);
    // The dilated gradient also works on cpu (routed to the composite implementation).
    const [cx, cw] = await grads('cpu', dilated, xd, xs, wd, ws, maskFrom(9));
    expect(relErr(cx, rx)).toBeLessThan(TOL);
    expect(relErr(cw, sampleTaps(rwUp, ws, 2))).toBeLessThan(TOL);
  });

  it('tf.grads of a dilated conv2d (dilation 2) matches the upsampled-filter reference', async () => {
    const r = rng(31);
    const xs: Shape4 = [2, 12, 12, 3];
    const ws: Shape4 = [3, 3, 3, 4];
    const xd = randArray(size(xs), r);
    const wd = randArray(size(ws), r);
    const [gx, gw] = await grads('wasm', (x, w) => tf.conv2d(x, w, 1, 'same', 'NHWC', 2), xd, xs, wd, ws, maskFrom(4));
    const up = upsampleFilter(wd, ws, 2);
    const [rx, rwUp] = await grads('cpu', (x, w) => tf.conv2d(x, w, 1, 'same'), xd, xs, up.data, up.shape, maskFrom(4));
    expect(relErr(gx, rx)).toBeLessThan(TOL);
    expect(relErr(gw, sampleTaps(rwUp, ws, 2))).toBeLessThan(TOL);
  });
});

describe('no leaks', () => {
  it('each kernel leaves tf.memory().numTensors and the backend data count unchanged', async () => {
    await tf.setBackend('wasm');
    const r = rng(99);
    const x = tf.tensor4d(randArray(2 * 9 * 9 * 4, r), [2, 9, 9, 4]);
    const dy = tf.tensor4d(randArray(2 * 5 * 5 * 6, r), [2, 5, 5, 6]); // 3x3, stride 2, same → 5x5
    const dyDw = tf.tensor4d(randArray(2 * 9 * 9 * 8, r), [2, 9, 9, 8]); // depthwise, mult 2, dilation 2
    const w = tf.tensor4d(randArray(3 * 3 * 4 * 6, r), [3, 3, 4, 6]);
    const wDw = tf.tensor4d(randArray(3 * 3 * 4 * 2, r), [3, 3, 4, 2]);
    const dyPool = tf.tensor4d(randArray(2 * 9 * 9 * 4, r), [2, 9, 9, 4]);
    const calls: Array<[string, () => tf.Tensor]> = [
      [tf.Conv2DBackpropFilter, () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 4, 6] } as unknown as tf.NamedAttrMap) as tf.Tensor],
      [tf.Conv2DBackpropInput, () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', inputShape: [2, 9, 9, 4] } as unknown as tf.NamedAttrMap) as tf.Tensor],
      [tf.DepthwiseConv2dNativeBackpropFilter, () => tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy: dyDw }, { strides: [1, 1], pad: 'same', dilations: [2, 2], filterShape: [3, 3, 4, 2] } as unknown as tf.NamedAttrMap) as tf.Tensor],
      [tf.AvgPoolGrad, () => tf.engine().runKernel(tf.AvgPoolGrad, { dy: dyPool, input: x }, { filterSize: [3, 3], strides: [1, 1], pad: 'same' } as unknown as tf.NamedAttrMap) as tf.Tensor],
      [tf.DepthwiseConv2dNativeBackpropInput, () => tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: dyDw, filter: wDw }, { strides: [1, 1], pad: 'same', dilations: [2, 2], inputShape: [2, 9, 9, 4] } as unknown as tf.NamedAttrMap) as tf.Tensor],
    ];
    for (const [name, call] of calls) {
      const tensorsBefore = tf.memory().numTensors;
      const idsBefore = tf.engine().backend.numDataIds();
      tf.tidy(() => {
        call();
      });
      expect(tf.memory().numTensors, name).toBe(tensorsBefore);
      expect(tf.engine().backend.numDataIds(), name).toBe(idsBefore);
      // Outside a tidy the kernel adds exactly its one output.
      const out = call();
      expect(tf.memory().numTensors, name).toBe(tensorsBefore + 1);
      out.dispose();
      expect(tf.engine().backend.numDataIds(), name).toBe(idsBefore);
    }
    tf.dispose([x, dy, dyDw, w, wDw, dyPool]);
  });
});
