/**
 * Decided edges (SGAS): a fixed edge runs only its op and a pruned edge nothing. That must be exactly the
 * supernet with masked architecture weights W = softmax(α)⊙keep + fixed, where every op still runs: same
 * loss, same gradient for α (zero on decided rows) and for every weight that is used. Weights of skipped ops
 * get no gradient at all (as in PyTorch, where an op outside the graph has grad None), not a zero one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { archWeights } from '../../../../src/main/nas/engine/arch-weights';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { Rng } from '../../../../src/main/nas/engine/rng';
import * as tf from '../../../../src/main/nas/engine/tf';
import { buildDartsSupernet } from '../../../../src/main/nas/spaces/darts';
import { buildNb201Supernet } from '../../../../src/main/nas/spaces/nb201';
import { crossEntropy, lossAndGrads } from '../../../../src/main/nas/strategies/one-shot';
import type { Supernet } from '../../../../src/main/nas/engine/supernet';
import { randomTensor4d, relErr } from '../fixtures';

beforeAll(async () => {
  await initBackend('wasm');
});

function check(net: Supernet, selections: Record<string, Array<number | null>>, input: [number, number, number], recompute = false) {
  const x = randomTensor4d([4, ...input], 3);
  const y = tf.tensor1d([0, 1, 2, 1], 'int32');
  for (const [key, sel] of Object.entries(selections)) net.masks.set(key, sel, net.ops.length);
  const all = [...net.params.trainableList(), ...net.alphas.values()];
  const skipping = lossAndGrads(net, x, y, all, { updateBnStats: false, recompute });

  // Reference: the same masked weights, every op computed (the masks are copied, then cleared in the net).
  const masks = Object.fromEntries(Object.keys(selections).map((k) => [k, net.masks.get(k)!]));
  const kept = Object.fromEntries(Object.entries(masks).map(([k, m]) => [k, { keep: m.keep.clone(), fixed: m.fixed.clone() }]));
  net.masks.clear();
  const ctx = { training: true, bnUpdates: null };
  const reference = tf.variableGrads(() => {
    const w = new Map([...net.alphas].map(([k, a]) => [k, archWeights(a, kept[k])]));
    return crossEntropy(net.forward(ctx, x, w), y);
  }, all);

  expect(Math.abs(skipping.loss - reference.value.dataSync()[0])).toBeLessThan(1e-6);
  let skippedParams = 0;
  for (const v of all) {
    const got = skipping.grads[v.name];
    const want = reference.grads[v.name];
    if (!got) {
      // Only an op that never ran lacks a gradient; in the full net its gradient is exactly zero.
      skippedParams += 1;
      expect(want.abs().max().dataSync()[0]).toBe(0);
      continue;
    }
    expect(relErr(got.dataSync(), want.dataSync()), v.name).toBeLessThan(1e-5);
  }
  expect(skippedParams).toBeGreaterThan(0);
  for (const [key, sel] of Object.entries(selections)) {
    const g = skipping.grads[net.alphas.get(key)!.name].arraySync() as number[][];
    sel.forEach((s, e) => {
      if (s !== -1) expect(g[e].every((v) => v === 0)).toBe(true);
    });
  }
  tf.dispose([x, y, reference.value, ...Object.values(reference.grads), ...Object.values(skipping.grads)]);
  for (const m of Object.values(kept)) tf.dispose([m.keep, m.fixed]);
}

describe('decided edges skip the ops they no longer use', () => {
  it('NAS-Bench-201: two fixed edges', () => {
    const net = buildNb201Supernet({ channels: 4, cellsPerStage: 1, inputShape: [8, 8, 1], classes: 3 }, new Rng(2));
    check(net, { cell: [3, -1, -1, 1, -1, -1] }, [8, 8, 1]);
    net.dispose();
  });

  it('DARTS: fixed and pruned edges in normal and reduction cells', () => {
    const ops = ['none', 'max_pool_3x3', 'skip_connect', 'sep_conv_3x3'];
    const net = buildDartsSupernet({ channels: 4, layers: 3, steps: 2, inputShape: [8, 8, 1], classes: 3, ops }, new Rng(3));
    // Node 0 has its 2 inputs (edges 0, 1); node 1 has one fixed (edge 4) and one pruned (edge 2).
    check(net, { normal: [3, 1, null, -1, 2], reduce: [-1, -1, 3, -1, -1] }, [8, 8, 1]);
    net.dispose();
  });

  it('DARTS with gradient checkpointing (recompute): the same', () => {
    const ops = ['none', 'max_pool_3x3', 'skip_connect', 'sep_conv_3x3'];
    const net = buildDartsSupernet({ channels: 4, layers: 3, steps: 2, inputShape: [8, 8, 1], classes: 3, ops }, new Rng(3));
    check(net, { normal: [3, 1, null, -1, 2], reduce: [-1, -1, 3, -1, -1] }, [8, 8, 1], true);
    net.dispose();
  });
});
