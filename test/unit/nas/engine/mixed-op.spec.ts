/**
 * ALGORITHMS.md §9, DARTS engine properties 1 and 2: softmax(α) rows are probability vectors, and a mixed op
 * with one-hot weights is exactly the selected op, for every NAS-Bench-201 op and every DARTS op at strides 1
 * and 2 (the candidates are built with the same layer functions and BN placement as the spaces use).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import type { ForwardContext } from '../../../../src/main/nas/engine/layers';
import { mixedOp, sumAll, weightRow, type Candidate } from '../../../../src/main/nas/engine/mixed-op';
import { ParamStore } from '../../../../src/main/nas/engine/params';
import { Rng } from '../../../../src/main/nas/engine/rng';
import { dartsCandidate } from '../../../../src/main/nas/spaces/darts';
import { buildNb201Supernet, nb201Candidate } from '../../../../src/main/nas/spaces/nb201';
import { alphaWeights } from '../../../../src/main/nas/strategies/one-shot';
import { DARTS_OPS } from '../../../../src/shared/spaces/darts';
import { NB201_OPS } from '../../../../src/shared/spaces/nb201';
import { randomTensor4d, sameBits } from '../fixtures';

const TRAIN: ForwardContext = { training: true, bnUpdates: null };
const EVAL: ForwardContext = { training: false, bnUpdates: null };

/** The spaces' own candidate factories (search configuration: BN without affine, pools followed by BN). */
function dartsCandidates(p: ParamStore, c: number, stride: number): Candidate[] {
  return DARTS_OPS.map((op) => dartsCandidate(p, `s${stride}.${op}`, op, c, stride));
}

function nb201Candidates(p: ParamStore, c: number): Candidate[] {
  return NB201_OPS.map((op) => nb201Candidate(p, op, op, c));
}

function oneHot(k: number, n: number): tf.Tensor1D {
  return tf.tensor1d(Array.from({ length: n }, (_, i) => (i === k ? 1 : 0)));
}

/** mixedOp(one-hot k) and candidate k alone, as plain data. */
function compare(ctx: ForwardContext, x: tf.Tensor4D, candidates: Candidate[], k: number, stride: number) {
  return tf.tidy(() => {
    const mixed = mixedOp(ctx, x, oneHot(k, candidates.length), candidates, stride);
    const op = candidates[k];
    const [b, h, w, c] = x.shape;
    const single = op ? op(ctx, x) : tf.zeros([b, Math.ceil(h / stride), Math.ceil(w / stride), c]);
    return {
      mixedShape: mixed.shape,
      singleShape: single.shape,
      mixed: mixed.dataSync() as Float32Array,
      single: single.dataSync() as Float32Array,
    };
  });
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('property 1: softmax(α) rows', () => {
  it('sum to 1 within 1e-6 and are all positive (random α, fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 14 }),
        fc.integer({ min: 2, max: 8 }),
        fc.double({ min: 1e-3, max: 10, noNaN: true }),
        fc.integer(),
        (rows, cols, scale, seed) => {
          const rng = new Rng(seed);
          const data = Array.from({ length: rows * cols }, () => rng.normal(0, scale));
          const w = tf.tidy(() => tf.softmax(tf.tensor2d(data, [rows, cols])).arraySync() as number[][]);
          for (const row of w) {
            expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
            for (const v of row) expect(v).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('holds for the DARTS initialisation 1e-3·N(0,1) as the supernet reports it', () => {
    const net = buildNb201Supernet({ channels: 2, cellsPerStage: 1, stages: 1, inputShape: [8, 8, 1], classes: 3 }, new Rng(3));
    const { cell } = alphaWeights(net);
    expect(cell.length).toBe(6);
    for (const row of cell) {
      expect(row.length).toBe(5);
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
      // Near-uniform at initialisation: every weight is 1/5 ± a little.
      for (const v of row) expect(Math.abs(v - 0.2)).toBeLessThan(0.01);
    }
    net.dispose();
  });
});

describe('property 2: a one-hot mixed op is exactly the chosen op', () => {
  it('for every NAS-Bench-201 op (train and eval mode)', () => {
    const p = new ParamStore(new Rng(10));
    const cands = nb201Candidates(p, 3);
    const x = randomTensor4d([4, 8, 8, 3], 21);
    for (const ctx of [TRAIN, EVAL]) {
      NB201_OPS.forEach((op, k) => {
        const r = compare(ctx, x, cands, k, 1);
        expect(r.mixedShape, op).toEqual([4, 8, 8, 3]);
        expect(r.mixedShape, op).toEqual(r.singleShape);
        expect(sameBits(r.mixed, r.single), `${op} ${ctx.training ? 'train' : 'eval'}`).toBe(true);
        if (op === 'none') expect(r.mixed.every((v) => v === 0)).toBe(true);
        else expect(r.mixed.some((v) => v !== 0)).toBe(true);
      });
    }
    x.dispose();
    p.dispose();
  });

  for (const stride of [1, 2]) {
    it(`for every DARTS op at stride ${stride}, on even and odd sizes`, () => {
      const p = new ParamStore(new Rng(20 + stride));
      const cands = dartsCandidates(p, 4, stride);
      for (const size of [8, 7]) {
        const x = randomTensor4d([4, size, size, 4], 30 + size);
        const out = Math.ceil(size / stride);
        DARTS_OPS.forEach((op, k) => {
          const r = compare(TRAIN, x, cands, k, stride);
          expect(r.mixedShape, `${op} s${stride} ${size}`).toEqual([4, out, out, 4]);
          expect(r.singleShape, op).toEqual(r.mixedShape);
          expect(sameBits(r.mixed, r.single), `${op} s${stride} ${size}`).toBe(true);
          if (op === 'none') expect(r.mixed.every((v) => v === 0)).toBe(true);
          else expect(r.mixed.some((v) => v !== 0)).toBe(true);
        });
        x.dispose();
      }
      p.dispose();
    });
  }

  it('a non-one-hot mixed op is the weighted sum (so the one-hot case is not trivially true)', () => {
    const p = new ParamStore(new Rng(40));
    const cands = dartsCandidates(p, 2, 2);
    const x = randomTensor4d([2, 6, 6, 2], 41);
    const w = [0.3, 0.1, 0.05, 0.15, 0.1, 0.1, 0.12, 0.08];
    const { mixed, expected } = tf.tidy(() => {
      const m = mixedOp(TRAIN, x, tf.tensor1d(w), cands, 2);
      const parts = cands.map((op, k) => (op ? tf.mul(op(TRAIN, x), w[k]) : null)).filter((t): t is tf.Tensor4D => t !== null);
      return { mixed: m.dataSync() as Float32Array, expected: sumAll(parts).dataSync() as Float32Array };
    });
    let err = 0;
    for (let i = 0; i < mixed.length; i++) err = Math.max(err, Math.abs(mixed[i] - expected[i]));
    expect(err).toBeLessThan(1e-5);
    x.dispose();
    p.dispose();
  });

  it('all-none candidates give zeros of the strided shape; weightRow reads one edge', () => {
    const x = randomTensor4d([2, 7, 7, 3], 50);
    const z = tf.tidy(() => {
      const t = mixedOp(TRAIN, x, tf.tensor1d([1]), [null], 2);
      return { shape: t.shape, data: t.dataSync() };
    });
    expect(z.shape).toEqual([2, 4, 4, 3]);
    expect(Array.from(z.data).every((v) => v === 0)).toBe(true);
    const row = tf.tidy(() => Array.from(weightRow(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), 1).dataSync()));
    expect(row).toEqual([3, 4]);
    x.dispose();
  });
});
