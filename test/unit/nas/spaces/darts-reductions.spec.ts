/**
 * DARTS's reduction rule for every network depth (ALGORITHMS.md §1.1; DARTS's `i in [L//3, 2*L//3]`): cells
 * ⌊L/3⌋ and ⌊2L/3⌋ reduce, which for L = 1 is cell 0 and for L = 2 cells 0 and 1. Observed on a real forward
 * pass (which cells halve H and W, the final spatial size) and on α: the supernet has one α per cell type it
 * actually contains, and every α it reports receives a gradient.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { Rng } from '../../../../src/main/nas/engine/rng';
import { buildDartsSupernet } from '../../../../src/main/nas/spaces/darts';
import { lossAndGrads } from '../../../../src/main/nas/strategies/one-shot';
import { randomTensor4d } from '../fixtures';

beforeAll(async () => {
  await initBackend('wasm');
});

const SIZE = 16;
const OPS = ['none', 'skip_connect', 'avg_pool_3x3', 'sep_conv_3x3'];
// Written out by hand from the rule, not computed with it.
const CASES = [
  { L: 1, reductionCells: [0], alphas: ['reduce'] },
  { L: 2, reductionCells: [0, 1], alphas: ['reduce'] },
  { L: 3, reductionCells: [1, 2], alphas: ['normal', 'reduce'] },
  { L: 8, reductionCells: [2, 5], alphas: ['normal', 'reduce'] },
];

describe('DARTS space: reduction cells for L = 1, 2, 3, 8', () => {
  for (const { L, reductionCells, alphas } of CASES) {
    it(`L = ${L}: cells ${reductionCells.join(' and ')} halve H and W, the output is ${SIZE >> reductionCells.length}×${SIZE >> reductionCells.length}, α = ${alphas.join(' + ')}`, () => {
      const net = buildDartsSupernet({ channels: 2, layers: L, inputShape: [SIZE, SIZE, 1], classes: 3, ops: OPS }, new Rng(L));
      const x = randomTensor4d([2, SIZE, SIZE, 1], 40 + L);
      const y = tf.tensor1d([0, 2], 'int32');
      const ctx = { training: true, bnUpdates: null };
      const weights = new Map([...net.alphas].map(([k, a]) => [k, tf.softmax(a) as tf.Tensor2D]));
      // Run the forward segment by segment (stem, cells, head) and watch s1, the last cell's output.
      const segments = net.segments!();
      let state: tf.Tensor[] = [x];
      const sizes: number[] = [];
      for (const seg of segments) {
        state = seg.run(ctx, state, weights);
        if (seg.name.startsWith('cell')) sizes.push(state[1].shape[1]!);
      }
      expect(segments.filter((s) => s.name.startsWith('cell')).length).toBe(L);
      const inputs = [SIZE, ...sizes.slice(0, -1)];
      const halving = sizes.flatMap((h, i) => (h * 2 === inputs[i] ? [i] : []));
      expect(halving).toEqual(reductionCells);
      expect(sizes.every((h, i) => h === inputs[i] || h * 2 === inputs[i])).toBe(true);
      expect(sizes.at(-1)).toBe(SIZE / 2 ** reductionCells.length);
      expect(state[0].shape).toEqual([2, 3]);

      expect([...net.alphas.keys()]).toEqual(alphas);
      // Every α the supernet reports drives some cell: its gradient is there and not zero.
      const { grads } = lossAndGrads(net, x, y, [...net.alphas.values()], { updateBnStats: false });
      for (const a of net.alphas.values()) {
        expect(grads[a.name], a.name).toBeDefined();
        expect(tf.tidy(() => tf.max(tf.abs(grads[a.name])).dataSync()[0]), a.name).toBeGreaterThan(0);
      }
      for (const g of Object.values(grads)) g.dispose();
      for (const w of weights.values()) w.dispose();
      tf.dispose([x, y, ...state]);
      net.dispose();
    });
  }
});
