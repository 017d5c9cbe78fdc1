/**
 * InstaNAS decision rules (ALGORITHMS.md §6) and the §9 InstaNAS properties 2–7 with real tfjs math on wasm:
 * the latency reward's shape, bounded probabilities, zero advantage → zero policy gradient through a real
 * controller, the latency-window schedule, the fine-tuning shuffle as a permutation, deterministic inference;
 * plus the pretraining keep-probability schedule and the variant epochs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/main/nas/engine/tf';
import { initBackend } from '../../src/main/nas/engine/backend';
import { Rng } from '../../src/main/nas/engine/rng';
import type { Batch } from '../../src/main/nas/data/batcher';
import { MobilenetMetaGraph } from '../../src/main/nas/spaces/mobilenet';
import { InstanasController } from '../../src/main/nas/strategies/instanas-controller';
import { evaluateGreedy, policyAt } from '../../src/main/nas/strategies/instanas-evaluation';
import {
  boundProbabilities,
  controllerLoss,
  greedyPolicies,
  instanceReward,
  latencyReward,
  latencyWindow,
  MIN_WINDOW,
  samplePolicies,
  shufflePolicies,
} from '../../src/main/nas/strategies/instanas-policy';
import { keepProbability, variantEpochs } from '../../src/main/nas/strategies/instanas-state';
import { policyKey } from '../../src/shared/spaces/mobilenet';
import { randomArray } from './nas/fixtures';

beforeAll(async () => {
  await initBackend('wasm');
});

const weights = { posReward: 30, negReward: -2, latencyExponent: 1 };

describe('latency reward (property 2)', () => {
  const w = { lb: 3, ub: 11 };
  it('is 1 at the window’s middle, 0 at both ends and 0 outside', () => {
    expect(latencyReward(7, w)).toBeCloseTo(1, 12);
    expect(latencyReward(3, w)).toBe(0);
    expect(latencyReward(11, w)).toBe(0);
    for (const l of [0, 2.99, 11.01, 50]) expect(latencyReward(l, w)).toBe(0);
    // A parabola: symmetric about the middle and below 1 elsewhere inside.
    for (const d of [0.5, 1, 2, 3.5]) {
      expect(latencyReward(7 - d, w)).toBeCloseTo(latencyReward(7 + d, w), 12);
      expect(latencyReward(7 + d, w)).toBeLessThan(1);
      expect(latencyReward(7 + d, w)).toBeGreaterThan(0);
    }
  });
  it('gives pos_w·R_lat^exp to a correct prediction and neg_w to a wrong one, whatever its latency', () => {
    expect(instanceReward(true, 7, w, weights)).toBeCloseTo(30, 12);
    expect(instanceReward(true, 5, w, { ...weights, latencyExponent: 2 })).toBeCloseTo(30 * latencyReward(5, w) ** 2, 12);
    for (const l of [1, 7, 20]) expect(instanceReward(false, l, w, weights)).toBe(-2);
  });
});

describe('bounded probabilities (property 3)', () => {
  it('lie in [1 − a, a] = [0.2, 0.8] for any p in [0, 1], and keep the greedy decision', () => {
    const p = tf.tensor1d([0, 1, 0.5, ...randomArray(200, 4, 0.5, 0.5)]);
    const b = boundProbabilities(p, 0.8).dataSync();
    const raw = p.dataSync();
    for (let i = 0; i < b.length; i++) {
      expect(b[i]).toBeGreaterThanOrEqual(0.2 - 1e-7);
      expect(b[i]).toBeLessThanOrEqual(0.8 + 1e-7);
      expect(b[i] >= 0.5).toBe(raw[i] >= 0.5);
    }
    expect(b[0]).toBeCloseTo(0.2, 6);
    expect(b[1]).toBeCloseTo(0.8, 6);
    p.dispose();
  });
});

describe('self-critical policy gradient (property 4)', () => {
  const T = 7;
  const x = () => tf.tensor4d(randomArray(4 * 14 * 14, 8), [4, 14, 14, 1]);

  function gradNorms(advantage: number[], entropyWeight: number, sampledEqualsGreedy: boolean): number {
    const c = new InstanasController(1, T * 5, new Rng(2));
    const input = x();
    const ctx = { training: true, bnUpdates: null };
    const probs = c.probabilities(ctx, input);
    const bounded = boundProbabilities(probs, 0.8).dataSync() as Float32Array;
    const m = sampledEqualsGreedy ? greedyPolicies(probs.dataSync() as Float32Array) : samplePolicies(bounded, new Rng(1));
    const mT = tf.tensor2d(Float32Array.from(m), [4, T * 5]);
    const adv = tf.tensor1d(advantage);
    const { grads, value } = tf.variableGrads(() => controllerLoss(boundProbabilities(c.probabilities(ctx, input), 0.8) as tf.Tensor2D, mT, adv, entropyWeight), c.params.trainableList());
    const norm = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.abs(g)))).dataSync()[0]);
    tf.dispose([...Object.values(grads), value, probs, input, mT, adv]);
    c.dispose();
    return norm;
  }

  it('is exactly zero when the sampled policy is the greedy one (A = R(m) − R(m̄) = 0), and not otherwise', () => {
    // Same policy, same prediction, same latency: the rewards are equal, so the advantage is exactly 0.
    const w = { lb: 1, ub: 9 };
    const advantage = [true, false, true, true].map((correct, i) => instanceReward(correct, 2 + i, w, weights) - instanceReward(correct, 2 + i, w, weights));
    expect(advantage).toEqual([0, 0, 0, 0]);
    expect(gradNorms(advantage, 0, true)).toBe(0);
    expect(gradNorms([5, -3, 1, 2], 0, false)).toBeGreaterThan(0);
    // With the entropy bonus on, only that term moves the controller.
    expect(gradNorms(advantage, 0.8, true)).toBeGreaterThan(0);
  });
});

describe('latency window (property 5)', () => {
  const refs = { baseline: 10, allOps: 40, min: 2 };
  it('dynamic: ub falls monotonically from 0.7·allOps to 0.5·baseline at the last epoch; lb = min throughout', () => {
    const E = 9;
    const ws = Array.from({ length: E }, (_, e) => latencyWindow(e, E, refs, 'dynamic'));
    expect(ws[0].ub).toBeCloseTo(0.7 * 40, 12);
    expect(ws[E - 1].ub).toBeCloseTo(0.5 * 10, 12);
    for (let e = 1; e < E; e++) expect(ws[e].ub).toBeLessThan(ws[e - 1].ub);
    for (const w of ws) expect(w.lb).toBe(2);
  });
  it('static: [min, allOps] every epoch', () => {
    for (let e = 0; e < 5; e++) expect(latencyWindow(e, 5, refs, 'static')).toEqual({ lb: 2, ub: 40 });
  });
  it('keeps lb < ub and a monotone shrink for any table, clamping ub at min + MIN_WINDOW·(allOps − min)', () => {
    // Tables a noisy machine measures: min above half the baseline, min above the baseline, all-ops at min,
    // an all-zero table; and random ones (allOps ≥ baseline and allOps ≥ min hold for any table of times ≥ 0).
    const rng = new Rng(5);
    const tables = [
      { baseline: 5.08, allOps: 40.41, min: 3.39 }, // a measured demo table: 0.5·baseline < min
      { baseline: 3, allOps: 9, min: 9 },
      { baseline: 2, allOps: 2, min: 2 },
      { baseline: 0, allOps: 0, min: 0 },
      ...Array.from({ length: 200 }, () => {
        const baseline = 20 * rng.next();
        const min = 20 * rng.next();
        return { baseline, min, allOps: Math.max(baseline, min) + 30 * rng.next() };
      }),
    ];
    for (const t of tables) {
      for (const E of [1, 2, 3, 7]) {
        const ws = Array.from({ length: E }, (_, e) => latencyWindow(e, E, t, 'dynamic'));
        ws.forEach((w, e) => {
          expect(w.lb, JSON.stringify({ t, E, e })).toBe(t.min);
          expect(w.ub, JSON.stringify({ t, E, e })).toBeGreaterThan(w.lb);
          if (e > 0) expect(w.ub).toBeLessThanOrEqual(ws[e - 1].ub);
          if (t.allOps > t.min) expect(w.ub).toBeGreaterThanOrEqual(t.min + MIN_WINDOW * (t.allOps - t.min) - 1e-12);
        });
        // The last epoch ends at ub_e where the paper's schedule leaves room, at the clamp where it does not.
        const narrowest = t.min + MIN_WINDOW * (t.allOps - t.min);
        if (t.allOps > t.min) expect(ws[E - 1].ub).toBeCloseTo(Math.max(0.5 * t.baseline, narrowest), 9);
        expect(Number.isFinite(latencyReward((ws[E - 1].lb + ws[E - 1].ub) / 2, ws[E - 1]))).toBe(true);
      }
      expect(latencyWindow(0, 1, t, 'static').ub).toBeGreaterThan(t.min);
    }
  });
});

describe('fine-tuning shuffle (property 6)', () => {
  it('permutes whole policies across the batch: the multiset of policies is preserved', () => {
    const rng = new Rng(11);
    const batch = 16;
    const width = 35;
    const policies = samplePolicies(new Float32Array(batch * width).fill(0.5), rng);
    const { policies: shuffled, permutation } = shufflePolicies(policies, batch, rng);
    const rows = (p: Uint8Array) => Array.from({ length: batch }, (_, i) => policyKey(p.subarray(i * width, (i + 1) * width)));
    expect(rows(shuffled).sort()).toEqual(rows(policies).sort());
    expect([...permutation].sort((a, b) => a - b)).toEqual(Array.from({ length: batch }, (_, i) => i));
    for (let i = 0; i < batch; i++) expect(rows(shuffled)[i]).toBe(rows(policies)[permutation[i]]);
    expect(rows(shuffled)).not.toEqual(rows(policies));
  });
});

describe('inference (property 7)', () => {
  it('is deterministic: the same image gets the same policy and prediction, alone or in a batch, run after run', () => {
    const space = { widthMult: 0.25, blocks: 7 };
    const g = new MobilenetMetaGraph(space, { inputShape: [14, 14, 1], classes: 10 }, new Rng(4));
    const c = new InstanasController(1, g.blocks.length * 5, new Rng(5));
    const n = 6;
    const xs = randomArray(n * 14 * 14, 21);
    const batch = (from: number, to: number): Batch => ({
      x: xs.slice(from * 196, to * 196),
      y: new Int32Array(to - from),
      shape: [to - from, 14, 14, 1],
      indices: Int32Array.from({ length: to - from }, (_, i) => from + i),
      epoch: 0,
      index: 0,
    });
    const table = g.blocks.map(() => [1, 1, 1, 1, 1]);
    const whole = evaluateGreedy(g, c, [batch(0, n)], table);
    const again = evaluateGreedy(g, c, [batch(0, n)], table);
    const alone = evaluateGreedy(g, c, Array.from({ length: n }, (_, i) => batch(i, i + 1)), table);
    expect(again.policies).toEqual(whole.policies);
    expect(again.correct).toEqual(whole.correct);
    for (let i = 0; i < n; i++) expect(policyKey(policyAt(alone, i))).toBe(policyKey(policyAt(whole, i)));
    expect(alone.correct).toEqual(whole.correct);
    g.dispose();
    c.dispose();
  });
});

describe('schedules', () => {
  it('keeps every op in the first half of pretraining, then lowers the keep-probability linearly to 0.5 (per step)', () => {
    const steps = 40;
    const keep = Array.from({ length: steps + 1 }, (_, i) => keepProbability(i / steps));
    expect(keep.slice(0, steps / 2 + 1).every((k) => k === 1)).toBe(true);
    expect(keep[steps]).toBeCloseTo(0.5, 12);
    for (let i = steps / 2 + 1; i <= steps; i++) expect(keep[i - 1] - keep[i]).toBeCloseTo(0.5 / (steps / 2), 12);
    // One pretraining epoch of 10 steps: its last steps already drop ops (progress = step / 10).
    expect(keepProbability(9 / 10)).toBeCloseTo(0.6, 12);
  });
  it('keeps up to five evenly spaced variants, always the last search epoch', () => {
    expect(variantEpochs(500, 5)).toEqual([0, 125, 250, 374, 499]);
    expect(variantEpochs(2, 5)).toEqual([0, 1]);
    expect(variantEpochs(7, 1)).toEqual([6]);
  });
});
