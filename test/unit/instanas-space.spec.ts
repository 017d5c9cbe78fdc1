/**
 * InstaNAS meta-graph and latency table (ALGORITHMS.md §1.3, §6; §9 InstaNAS properties 1, 7 (second half) and 8)
 * with real tfjs math on wasm: the layout and block-count rule, a policy's looked-up latency (all-zero = Σ of
 * the stage-first op-4 latencies, monotone), the sub-network of a policy = the masked meta-graph for that
 * instance, all ops on = the full meta-graph, a block = mean of its ops + one shortcut, and a measured table with its reference sums.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/main/nas/engine/tf';
import { initBackend } from '../../src/main/nas/engine/backend';
import { applyBnUpdates, type ForwardContext } from '../../src/main/nas/engine/layers';
import { Rng } from '../../src/main/nas/engine/rng';
import { MobilenetMetaGraph, policyMasks } from '../../src/main/nas/spaces/mobilenet';
import { measureLatencyTable } from '../../src/main/nas/estimation/instanas-latency';
import { SpaceConfigSchema } from '../../src/shared/spaces/registry';
import { MOBILENET_MAX_BLOCKS, MOBILENET_STAGES, blocksPerStage, mobilenetLayout, policyLatency } from '../../src/shared/spaces/mobilenet';
import { randomTensor4d, relErr } from './nas/fixtures';

beforeAll(async () => {
  await initBackend('wasm');
});

const OPS = 5;
const TRAIN: ForwardContext = { training: true, bnUpdates: null };
const EVAL: ForwardContext = { training: false, bnUpdates: null };

function randomPolicy(rng: Rng, blocks: number, density: number): number[] {
  return Array.from({ length: blocks * OPS }, () => (rng.bernoulli(density) ? 1 : 0));
}

describe('mobilenet layout', () => {
  it('has the 17 CIFAR blocks of §1.3: 7 stages, the first of each strided per the table, 32×32 kept through stage 2', () => {
    const { blocks, stemChannels } = mobilenetLayout({ widthMult: 1, blocks: 17 }, 32);
    expect(blocks).toHaveLength(17);
    expect(stemChannels).toBe(32);
    expect(blocks.filter((b) => b.stageFirst).map((b) => b.index)).toEqual([0, 1, 3, 6, 10, 13, 16]);
    expect(blocks.map((b) => b.outChannels)).toEqual([16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320]);
    expect(blocks.map((b) => b.stride)).toEqual([1, 1, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1]);
    expect(blocks.map((b) => b.inputSize)).toEqual([32, 32, 32, 32, 16, 16, 16, 8, 8, 8, 8, 8, 8, 8, 4, 4, 4]);
    for (let t = 1; t < blocks.length; t++) expect(blocks[t].inChannels).toBe(blocks[t - 1].outChannels);
  });

  it('keeps a block per stage and adds repeats in turns for smaller block counts; refuses fewer than 7', () => {
    expect(blocksPerStage(17)).toEqual(MOBILENET_STAGES.map(([, , n]) => n));
    expect(blocksPerStage(7)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    // The second block of every stage that has one (stages 2–6), in stage order.
    expect(blocksPerStage(9)).toEqual([1, 2, 2, 1, 1, 1, 1]);
    for (let n = 7; n <= MOBILENET_MAX_BLOCKS; n++) expect(blocksPerStage(n).reduce((a, b) => a + b)).toBe(n);
    expect(() => blocksPerStage(6)).toThrow(/7 to 17 blocks/);
    expect(SpaceConfigSchema.parse({ name: 'mobilenet' })).toEqual({ name: 'mobilenet', widthMult: 1, blocks: 17 });
  });
});

describe('policy latency', () => {
  const { blocks } = mobilenetLayout({ widthMult: 1, blocks: 17 }, 32);
  const rng = new Rng(3);
  const table = blocks.map(() => Array.from({ length: OPS }, () => 0.01 + rng.next()));

  it('charges the all-zero policy exactly the op-4 latency of each stage-first block', () => {
    let expected = 0;
    blocks.forEach((b, t) => {
      if (b.stageFirst) expected += table[t][4];
    });
    expect(policyLatency(table, blocks, new Array(blocks.length * OPS).fill(0))).toBeCloseTo(expected, 12);
  });

  it('is monotone: enabling an op never lowers it (filling an empty stage-first block swaps the op-4 charge for the op)', () => {
    for (let trial = 0; trial < 200; trial++) {
      const p = randomPolicy(rng, blocks.length, rng.next());
      const i = rng.int(p.length);
      if (p[i]) continue;
      const t = Math.floor(i / OPS);
      const before = policyLatency(table, blocks, p);
      const q = [...p];
      q[i] = 1;
      const after = policyLatency(table, blocks, q);
      const emptyStageFirst = blocks[t].stageFirst && p.slice(t * OPS, t * OPS + OPS).every((b) => b === 0);
      if (!emptyStageFirst) expect(after).toBeGreaterThan(before);
      else expect(after - before).toBeCloseTo(table[t][i % OPS] - table[t][4], 9);
      // In terms of the ops that actually run (the fallback made explicit), adding one never lowers it.
      const effective = [...p];
      if (emptyStageFirst) effective[t * OPS + 4] = 1;
      const enlarged = [...effective];
      enlarged[i] = 1;
      expect(policyLatency(table, blocks, enlarged)).toBeGreaterThanOrEqual(policyLatency(table, blocks, effective));
    }
  });
});

describe('meta-graph forward', () => {
  const space = { widthMult: 0.25, blocks: 8 };
  const inputShape: [number, number, number] = [16, 16, 1];

  /** A graph whose BN running statistics have moved off their initial values (eval mode is then non-trivial). */
  function trainedGraph(): MobilenetMetaGraph {
    const g = new MobilenetMetaGraph(space, { inputShape, classes: 10 }, new Rng(5));
    for (let i = 0; i < 3; i++) {
      const ctx: ForwardContext = { training: true, bnUpdates: [] };
      tf.tidy(() => {
        g.forward(ctx, randomTensor4d([6, 16, 16, 1], 40 + i));
      });
      applyBnUpdates(ctx.bnUpdates!);
    }
    return g;
  }

  it('runs a batch of different policies in one forward: each row equals that policy’s sub-network (property 7)', () => {
    const g = trainedGraph();
    const T = g.blocks.length;
    const rng = new Rng(9);
    const policies = [new Array(T * OPS).fill(0), new Array(T * OPS).fill(1), randomPolicy(rng, T, 0.3), randomPolicy(rng, T, 0.6)];
    const x = randomTensor4d([4, 16, 16, 1], 77);
    const masked = tf.tidy(() => g.forwardMasked(EVAL, x, policyMasks(policies.flat(), g.blocks, 4)).arraySync() as number[][]);
    policies.forEach((p, i) => {
      const sub = tf.tidy(() => g.forwardPolicy(EVAL, tf.slice(x, [i, 0, 0, 0], [1, 16, 16, 1]) as tf.Tensor4D, p).dataSync() as Float32Array);
      expect(relErr(masked[i], sub), `policy ${i}`).toBeLessThan(1e-5);
    });
    // Different policies give different outputs: the masks are really per sample.
    expect(relErr(masked[0], masked[1])).toBeGreaterThan(1e-3);
    x.dispose();
    g.dispose();
  });

  it('with every op on equals the full meta-graph, in training and in eval mode (property 8)', () => {
    const g = trainedGraph();
    const T = g.blocks.length;
    const x = randomTensor4d([3, 16, 16, 1], 12);
    for (const ctx of [TRAIN, EVAL]) {
      const full = tf.tidy(() => g.forward(ctx, x).dataSync() as Float32Array);
      const allOn = tf.tidy(() => g.forwardMasked(ctx, x, policyMasks(new Array(3 * T * OPS).fill(1), g.blocks, 3)).dataSync() as Float32Array);
      expect(relErr(allOn, full)).toBeLessThan(1e-6);
    }
    x.dispose();
    g.dispose();
  });

  it('outputs the mean of a block’s enabled ops, plus its input once where the shape is kept (one shortcut, not one per op)', () => {
    const g = trainedGraph();
    const kinds = new Set<boolean>();
    g.blocks.forEach((b, t) => {
      const shortcut = b.stride === 1 && b.inChannels === b.outChannels;
      kinds.add(shortcut);
      const h = randomTensor4d([2, b.inputSize, b.inputSize, b.inChannels], 300 + t);
      const ops = Array.from({ length: OPS }, (_, k) => g.runOp(EVAL, t, k, h));
      // The expected output, built from the ops run alone: the mean of the enabled ones, + h once where the shape is kept.
      const expected = (on: number[]) => tf.addN([tf.div(tf.addN(on.map((k) => ops[k])), on.length), ...(shortcut ? [h] : [])]);
      const cases: [number[], number[]][] = [
        [[1, 1, 1, 1, 1], [0, 1, 2, 3, 4]],
        [[0, 1, 0, 0, 0], [1]],
        [[1, 0, 1, 0, 0], [0, 2]],
        [[0, 0, 0, 0, 0], b.stageFirst ? [4] : []],
      ];
      for (const [bits, on] of cases) {
        const got = tf.tidy(() => g.forwardBlock(EVAL, t, h, bits).dataSync() as Float32Array);
        const want = tf.tidy(() => (on.length === 0 ? h : expected(on)).dataSync() as Float32Array);
        expect(relErr(got, want), `block ${t}, bits ${bits.join('')}`).toBeLessThan(1e-5);
      }
      ops.forEach((o) => o.dispose());
      h.dispose();
    });
    // Width 0.25 gives both kinds of block (8 → 8 channels at stride 1; strided and widening ones).
    expect([...kinds].sort()).toEqual([false, true]);
    g.dispose();
  });

  it('measures a latency table on this backend: positive times per (block, op) and the reference sums of §6', async () => {
    const g = trainedGraph();
    const lat = await measureLatencyTable(g, { backend: tf.getBackend(), device: 'test' });
    expect(lat.table).toHaveLength(g.blocks.length);
    for (const row of lat.table) {
      expect(row).toHaveLength(OPS);
      for (const v of row) expect(v).toBeGreaterThan(0);
    }
    const sum = (f: (t: number, k: number) => boolean) => lat.table.reduce((s, row, t) => s + row.reduce((r, v, k) => r + (f(t, k) ? v : 0), 0), 0);
    expect(lat.baseline).toBeCloseTo(sum((_t, k) => k === 0), 9);
    expect(lat.allOps).toBeCloseTo(sum(() => true), 9);
    expect(lat.min).toBeCloseTo(sum((t, k) => g.blocks[t].stageFirst && k === 4), 9);
    expect(lat.allOps).toBeGreaterThan(lat.baseline);
    expect(lat.backend).toBe('wasm');
    g.dispose();
  });
});

describe('depthwise convolution of the inverted residuals', () => {
  it('has the gradients of tfjs’s own depthwise conv (input and filter), at strides 1 and 2, kernels 3 and 5', async () => {
    const { depthwiseConv } = await import('../../src/main/nas/spaces/mobilenet-ops');
    for (const [s, k, h] of [
      [1, 3, 8],
      [2, 3, 8],
      [2, 5, 7],
      [1, 5, 9],
    ]) {
      const x = randomTensor4d([3, h, h, 4], 1);
      const w = tf.variable(randomTensor4d([k, k, 4, 1], 2));
      const pad = (k - 1) / 2;
      const reference = (xx: tf.Tensor4D) => tf.depthwiseConv2d(xx, w as unknown as tf.Tensor4D, s, pad);
      const ours = (xx: tf.Tensor4D) => depthwiseConv(xx, w as unknown as tf.Tensor4D, s, pad);
      const dy = randomTensor4d(reference(x).shape as [number, number, number, number], 3);
      const grads = (f: (xx: tf.Tensor4D) => tf.Tensor4D) => {
        const dw = tf.variableGrads(() => tf.sum(tf.mul(f(x), dy)) as tf.Scalar, [w]).grads[w.name].dataSync() as Float32Array;
        const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(f(xx as tf.Tensor4D), dy)))(x).dataSync() as Float32Array;
        return { dw, dx, y: f(x).dataSync() as Float32Array };
      };
      const a = grads(ours);
      const b = grads(reference);
      expect(relErr(a.y, b.y)).toBe(0);
      expect(relErr(a.dx, b.dx)).toBeLessThan(1e-6);
      expect(relErr(a.dw, b.dw), `stride ${s}, k ${k}`).toBeLessThan(1e-5);
    }
  });
});
