/**
 * The op and network definitions of ALGORITHMS.md §1.1 and §1.2 against references built here from tfjs
 * primitives only (explicit zero padding + 'valid' convs, zero-inserted dilated kernels, tf.moments BN, strided
 * slices), never from engine/layers.ts: sep_conv's two blocks, BN after the pools in the mixed op, dil_conv,
 * the NAS-Bench-201 residual reduction block, and the macro skeletons of both spaces. The modules under test
 * are the spaces' own candidates and supernets; the references read the same parameters by name.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import type { ForwardContext } from '../../../../src/main/nas/engine/layers';
import { mixedOp } from '../../../../src/main/nas/engine/mixed-op';
import { ParamStore } from '../../../../src/main/nas/engine/params';
import { Rng } from '../../../../src/main/nas/engine/rng';
import { buildDartsSupernet, dartsCandidate } from '../../../../src/main/nas/spaces/darts';
import { buildNb201Supernet } from '../../../../src/main/nas/spaces/nb201';
import { DARTS_OPS } from '../../../../src/shared/spaces/darts';
import { randomArray, randomTensor4d, relErr } from '../fixtures';

beforeAll(async () => {
  await initBackend('wasm');
});

type T4 = tf.Tensor4D;
const TRAIN: ForwardContext = { training: true, bnUpdates: null };
/** PyTorch's BatchNorm2d eps. */
const EPS = 1e-5;

// ---- references -------------------------------------------------------------------------------------------

const padHW = (x: T4, p: number, value = 0): T4 => (p === 0 ? x : tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], value));
/** Training-mode BN: batch mean and biased variance per channel, then the optional affine. */
function bnRef(x: T4, gamma?: tf.Tensor, beta?: tf.Tensor): T4 {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPS)));
  return (gamma ? tf.add(tf.mul(y, gamma), beta!) : y) as T4;
}
const convRef = (x: T4, w: tf.Tensor, stride: number, pad: number): T4 => tf.conv2d(padHW(x, pad), w as T4, stride, 'valid');
/** A k×k depthwise kernel with d − 1 zeros between taps: a plain conv with it is the dilated conv. */
function dilateKernel(w: tf.Tensor, d: number): T4 {
  const [k, , c] = w.shape;
  const ke = d * (k - 1) + 1;
  const src = w.dataSync();
  const out = new Float32Array(ke * ke * c);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let ch = 0; ch < c; ch++) out[(i * d * ke + j * d) * c + ch] = src[(i * k + j) * c + ch];
  return tf.tensor4d(out, [ke, ke, c, 1]);
}
const depthwiseRef = (x: T4, w: tf.Tensor, stride: number, pad: number, d: number): T4 =>
  tf.depthwiseConv2d(padHW(x, pad), dilateKernel(w, d), stride, 'valid');
/** ReLU → depthwise (stride, dilation, PyTorch padding) → pointwise 1×1 → BN without affine. */
const dwPwBnRef = (x: T4, dw: tf.Tensor, pw: tf.Tensor, stride: number, d: number): T4 =>
  bnRef(convRef(depthwiseRef(tf.relu(x), dw, stride, (d * (dw.shape[0] - 1)) / 2, d), pw, 1, 0));
/** x[:, o::2, o::2, :] */
const everyOther = (x: T4, o: number): T4 => tf.stridedSlice(x, [0, o, o, 0], x.shape, [1, 2, 2, 1]) as T4;
/** FactorizedReduce: ReLU, 1×1 convs on the even and on the odd pixels, concat, BN (even sizes). */
const frRef = (x: T4, w1: tf.Tensor, w2: tf.Tensor): T4 => {
  const r = tf.relu(x);
  return bnRef(tf.concat([convRef(everyOther(r, 0), w1, 1, 0), convRef(everyOther(r, 1), w2, 1, 0)], 3));
};
/** 2×2 average pool, stride 2, as a mean over reshaped blocks. */
const avgPool2Ref = (x: T4): T4 => {
  const [b, h, w, c] = x.shape;
  return tf.mean(tf.reshape(x, [b, h / 2, 2, w / 2, 2, c]), [2, 4]) as T4;
};
/** 3×3 pools, pad 1: max ignores the padding; avg divides by the number of real cells (count_include_pad = False). */
function poolRef(x: T4, kind: 'max' | 'avg', stride: number): T4 {
  if (kind === 'max') return tf.maxPool(padHW(x, 1, -1e30), 3, stride, 'valid');
  const c = x.shape[3];
  const box = tf.ones([3, 3, c, 1]) as T4;
  const sums = tf.depthwiseConv2d(padHW(x, 1), box, stride, 'valid');
  const counts = tf.depthwiseConv2d(padHW(tf.onesLike(x), 1), box, stride, 'valid');
  return tf.div(sums, counts) as T4;
}

// ---- helpers ----------------------------------------------------------------------------------------------

function compare(got: tf.Tensor, want: tf.Tensor, tol = 1e-5): void {
  expect(got.shape).toEqual(want.shape);
  expect(relErr(got.dataSync(), want.dataSync())).toBeLessThan(tol);
}
const names = (m: Map<string, tf.Variable>) => [...m.keys()];
/** Random γ and β for every affine BN, so a BN that ignored them would be caught. */
function randomiseAffine(p: ParamStore, seed: number): void {
  let s = seed;
  for (const [k, v] of p.trainable) if (/\.(gamma|beta)$/.test(k)) v.assign(tf.tensor(randomArray(v.size, s++, 0.5, k.endsWith('gamma') ? 1 : 0), v.shape));
}

// ---- DARTS ops ---------------------------------------------------------------------------------------------

describe('DARTS ops (search configuration: BN without affine)', () => {
  const C = 4; // even: a reduction edge's skip_connect is a FactorizedReduce
  const SHAPES: Array<[number, number, number, number]> = [
    [2, 8, 8, C],
    [2, 7, 9, C],
  ];

  for (const k of [3, 5]) {
    it(`sep_conv_${k}x${k}: [ReLU → dw ${k}×${k} (stride s) → pw → BN] then [ReLU → dw (stride 1) → pw → BN]`, () => {
      for (const stride of [1, 2]) {
        const p = new ParamStore(new Rng(k * 10 + stride));
        const op = dartsCandidate(p, 'e', `sep_conv_${k}x${k}`, C, stride)!;
        expect(names(p.trainable)).toEqual(['e.0.dw', 'e.0.pw', 'e.1.dw', 'e.1.pw']);
        expect(p.trainable.get('e.0.dw')!.shape).toEqual([k, k, C, 1]);
        expect(p.trainable.get('e.1.pw')!.shape).toEqual([1, 1, C, C]);
        expect(p.buffers.size).toBe(4); // two BNs (mean, var each), no γ/β
        const w = (n: string) => p.trainable.get(n)!;
        for (const [i, shape] of SHAPES.entries()) {
          tf.tidy(() => {
            const x = randomTensor4d(shape, 100 + i);
            const want = dwPwBnRef(dwPwBnRef(x, w('e.0.dw'), w('e.0.pw'), stride, 1), w('e.1.dw'), w('e.1.pw'), 1, 1);
            expect(want.shape.slice(1, 3)).toEqual([Math.ceil(shape[1] / stride), Math.ceil(shape[2] / stride)]);
            compare(op(TRAIN, x), want);
          });
        }
        p.dispose();
      }
    });

    it(`dil_conv_${k}x${k}: ReLU → dw ${k}×${k} with dilation 2 (pad ${k - 1}, stride s) → pw → BN`, () => {
      for (const stride of [1, 2]) {
        const p = new ParamStore(new Rng(k * 20 + stride));
        const op = dartsCandidate(p, 'e', `dil_conv_${k}x${k}`, C, stride)!;
        expect(names(p.trainable)).toEqual(['e.dw', 'e.pw']);
        expect(p.buffers.size).toBe(2);
        const w = (n: string) => p.trainable.get(n)!;
        for (const [i, shape] of SHAPES.entries()) {
          tf.tidy(() => {
            const x = randomTensor4d(shape, 200 + i);
            const want = dwPwBnRef(x, w('e.dw'), w('e.pw'), stride, 2);
            expect(want.shape.slice(1, 3)).toEqual([Math.ceil(shape[1] / stride), Math.ceil(shape[2] / stride)]);
            compare(op(TRAIN, x), want);
          });
        }
        p.dispose();
      }
    });
  }

  for (const kind of ['max', 'avg'] as const) {
    it(`${kind}_pool_3x3 in the mixed op is the pool followed by a BN without affine (strides 1, 2)`, () => {
      for (const stride of [1, 2]) {
        const p = new ParamStore(new Rng(stride));
        const candidates = DARTS_OPS.map((op) => dartsCandidate(p, op, op, C, stride));
        const column = DARTS_OPS.indexOf(`${kind}_pool_3x3`);
        // The pool owns a BN (running mean and variance) and no trainable parameter.
        expect([...p.buffers.keys()].filter((n) => n.startsWith(`${kind}_pool_3x3.`))).toEqual([`${kind}_pool_3x3.bn.running_mean`, `${kind}_pool_3x3.bn.running_var`]);
        expect(names(p.trainable).filter((n) => n.startsWith(`${kind}_pool_3x3.`))).toEqual([]);
        for (const [i, shape] of SHAPES.entries()) {
          tf.tidy(() => {
            // Shifted input, so a missing BN (non-zero mean) cannot pass.
            const x = tf.add(randomTensor4d(shape, 300 + i), 2) as T4;
            const oneHot = tf.oneHot(tf.tensor1d([column], 'int32'), DARTS_OPS.length).reshape([DARTS_OPS.length]).toFloat() as tf.Tensor1D;
            compare(mixedOp(TRAIN, x, oneHot, candidates, stride), bnRef(poolRef(x, kind, stride)));
          });
        }
        p.dispose();
      }
    });
  }
});

// ---- NAS-Bench-201 residual block and skeleton ------------------------------------------------------------

/** ReLU-conv3×3(s2)-BN → ReLU-conv3×3-BN, plus avg-pool(2) → conv1×1 shortcut (affine BNs). */
function residualRef(x: T4, w: (n: string) => tf.Tensor, name: string): T4 {
  const a = bnRef(convRef(tf.relu(x), w(`${name}.a.conv`), 2, 1), w(`${name}.a.bn.gamma`), w(`${name}.a.bn.beta`));
  const b = bnRef(convRef(tf.relu(a), w(`${name}.b.conv`), 1, 1), w(`${name}.b.bn.gamma`), w(`${name}.b.bn.beta`));
  return tf.add(b, convRef(avgPool2Ref(x), w(`${name}.shortcut`), 1, 0));
}

describe('NAS-Bench-201 network', () => {
  it('the residual reduction block: ReLU-conv-BN a (stride 2) / b, plus avg-pool(2) → 1×1 conv shortcut', () => {
    const net = buildNb201Supernet({ channels: 3, cellsPerStage: 1, stages: 2, inputShape: [8, 8, 1], classes: 2, ops: ['skip_connect'] }, new Rng(3));
    randomiseAffine(net.params, 50);
    const w = (n: string) => net.params.trainable.get(n)!;
    expect(w('stage1.reduce.a.conv').shape).toEqual([3, 3, 3, 6]);
    expect(w('stage1.reduce.b.conv').shape).toEqual([3, 3, 6, 6]);
    expect(w('stage1.reduce.shortcut').shape).toEqual([1, 1, 3, 6]);
    const block = net.segments!().find((s) => s.name.endsWith('.layer'))!;
    tf.tidy(() => {
      const x = randomTensor4d([2, 8, 8, 3], 7);
      const [got] = block.run(TRAIN, [x], new Map());
      expect(got.shape).toEqual([2, 4, 4, 6]);
      compare(got, residualRef(x, w, 'stage1.reduce'));
    });
    net.dispose();
  });

  it('the skeleton: stem conv-BN → cells (C) → reduction → cells (2C) → reduction → cells (4C) → BN → ReLU → GAP → linear', () => {
    const C = 2;
    const net = buildNb201Supernet({ channels: C, cellsPerStage: 1, inputShape: [8, 8, 1], classes: 3, ops: ['skip_connect'] }, new Rng(4));
    randomiseAffine(net.params, 60);
    const w = (n: string) => net.params.trainable.get(n)!;
    // With skip_connect on every edge: node1 = x, node2 = x + node1, node3 = x + node1 + node2 = 4x.
    const cell = (h: T4) => tf.mul(h, 4) as T4;
    tf.tidy(() => {
      const x = randomTensor4d([2, 8, 8, 1], 8);
      let h = bnRef(convRef(x, w('stem.conv'), 1, 1), w('stem.bn.gamma'), w('stem.bn.beta'));
      expect(h.shape[3]).toBe(C);
      h = cell(h);
      h = cell(residualRef(h, w, 'stage1.reduce'));
      h = cell(residualRef(h, w, 'stage2.reduce'));
      expect(h.shape).toEqual([2, 2, 2, 4 * C]);
      const feat = tf.mean(tf.relu(bnRef(h, w('lastact.bn.gamma'), w('lastact.bn.beta'))), [1, 2]);
      const want = tf.add(tf.matMul(feat as tf.Tensor2D, w('classifier.kernel') as tf.Tensor2D), w('classifier.bias'));
      compare(net.forward(TRAIN, x), want);
    });
    net.dispose();
  });
});

// ---- DARTS skeleton ---------------------------------------------------------------------------------------

describe('DARTS network', () => {
  it('the skeleton (L = 3): stem conv-BN (3C) → normal cell → reductions at cells 1 and 2 (C doubles) → GAP → linear', () => {
    const C = 2;
    // skip_connect only, 2 nodes per cell: every op is an identity, or a FactorizedReduce on a reduction
    // cell's input edges, so the whole network can be written out by hand.
    const net = buildDartsSupernet({ channels: C, layers: 3, steps: 2, inputShape: [8, 8, 1], classes: 3, ops: ['skip_connect'] }, new Rng(6));
    randomiseAffine(net.params, 70);
    const w = (n: string) => net.params.trainable.get(n)!;
    const rcb = (x: T4, name: string) => bnRef(convRef(tf.relu(x), w(`${name}.conv`), 1, 0));
    const fr = (x: T4, name: string) => frRef(x, w(`${name}.conv1`), w(`${name}.conv2`));
    function cellRef(i: number, s0: T4, s1: T4, reduction: boolean, reductionPrev: boolean): T4 {
      const p0 = reductionPrev ? fr(s0, `cell${i}.pre0`) : rcb(s0, `cell${i}.pre0`);
      const p1 = rcb(s1, `cell${i}.pre1`);
      // Edge e from state `source`: stride 2 (FactorizedReduce) only from the cell inputs of a reduction cell.
      const op = (h: T4, e: number, source: number) => (reduction && source < 2 ? fr(h, `cell${i}.e${e}.skip_connect`) : h);
      const n0 = tf.add(op(p0, 0, 0), op(p1, 1, 1)) as T4;
      const n1 = tf.addN([op(p0, 2, 0), op(p1, 3, 1), op(n0, 4, 2)]) as T4;
      return tf.concat([n0, n1], 3);
    }
    tf.tidy(() => {
      const x = randomTensor4d([2, 8, 8, 1], 9);
      const stem = bnRef(convRef(x, w('stem.conv'), 1, 1), w('stem.bn.gamma'), w('stem.bn.beta'));
      expect(stem.shape).toEqual([2, 8, 8, 3 * C]);
      const c0 = cellRef(0, stem, stem, false, false);
      expect(c0.shape).toEqual([2, 8, 8, 2 * C]);
      const c1 = cellRef(1, stem, c0, true, false);
      expect(c1.shape).toEqual([2, 4, 4, 2 * 2 * C]);
      const c2 = cellRef(2, c0, c1, true, true);
      expect(c2.shape).toEqual([2, 2, 2, 2 * 4 * C]);
      const want = tf.add(tf.matMul(tf.mean(c2, [1, 2]) as tf.Tensor2D, w('classifier.kernel') as tf.Tensor2D), w('classifier.bias'));
      compare(net.forward(TRAIN, x), want, 1e-4);
    });
    net.dispose();
  });
});
