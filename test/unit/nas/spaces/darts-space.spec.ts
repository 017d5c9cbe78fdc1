/**
 * ALGORITHMS.md §9, DARTS engine properties 3–5 on the DARTS cell space: cell output channels and reduction
 * geometry (from the parameter shapes and from the shapes of a real forward pass), the 14-edge indexing, and
 * the discretisation rule (fast-check on random α).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { Rng } from '../../../../src/main/nas/engine/rng';
import { buildDartsSupernet } from '../../../../src/main/nas/spaces/darts';
import { deriveDartsCell, deriveDartsGenotype } from '../../../../src/shared/genotype';
import { DARTS_OPS, dartsEdgeIndex, dartsEdges, isReductionCell } from '../../../../src/shared/spaces/darts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('property 3: cell channels and reduction geometry', () => {
  it('parameter shapes: each cell works at C (doubled at ⌊L/3⌋ and ⌊2L/3⌋) and outputs 4C, for L = 1..9', () => {
    for (let L = 1; L <= 9; L++) {
      const C = 2;
      const net = buildDartsSupernet({ channels: C, layers: L, inputShape: [8, 8, 1], classes: 3, ops: ['none', 'skip_connect', 'avg_pool_3x3'] }, new Rng(L));
      const w = net.params.trainable;
      const reductions = Array.from({ length: L }, (_, i) => i).filter((i) => isReductionCell(i, L));
      // DARTS's `i in [L//3, 2*L//3]`, written out: L = 1 and 2 reduce at their first cells.
      const expected: Record<number, number[]> = { 1: [0], 2: [0, 1], 3: [1, 2], 4: [1, 2], 5: [1, 3], 6: [2, 4], 7: [2, 4], 8: [2, 5], 9: [3, 6] };
      expect(reductions, `L=${L}`).toEqual(expected[L]);
      let c = C;
      let cPrev = 3 * C; // stem output
      for (let i = 0; i < L; i++) {
        if (reductions.includes(i)) c *= 2;
        // pre1 maps the previous cell's output (4C_prev, or the stem's 3C) to this cell's C.
        expect(w.get(`cell${i}.pre1.conv`)!.shape, `L=${L} cell ${i}`).toEqual([1, 1, cPrev, c]);
        // After a reduction cell, s0 (two steps back) is at twice the resolution: FactorizedReduce.
        const afterReduction = i > 0 && reductions.includes(i - 1);
        expect(w.has(`cell${i}.pre0.conv1`), `L=${L} cell ${i} pre0`).toBe(afterReduction);
        expect(w.has(`cell${i}.pre0.conv`), `L=${L} cell ${i} pre0`).toBe(!afterReduction);
        // Reduction cells: skip_connect on the input edges is a FactorizedReduce (stride 2), elsewhere identity.
        const reduce = reductions.includes(i);
        for (const e of dartsEdges()) {
          expect(w.has(`cell${i}.e${e.index}.skip_connect.conv1`), `L=${L} cell ${i} edge ${e.index}`).toBe(reduce && e.source < 2);
        }
        cPrev = 4 * c;
      }
      expect(w.get('classifier.kernel')!.shape).toEqual([cPrev, 3]);
      expect([...net.alphas.keys()]).toEqual(L >= 3 ? ['normal', 'reduce'] : ['reduce']);
      for (const a of net.alphas.values()) expect(a.shape).toEqual([14, 3]);
      net.dispose();
    }
  });

  it('a real forward pass (L = 5): each cell outputs 4C channels, reduction cells halve H and W', () => {
    const C = 2;
    const net = buildDartsSupernet({ channels: C, layers: 5, inputShape: [16, 16, 1], classes: 10 }, new Rng(5));
    const x = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    // The kernels a forward pass runs, in order; a cell ends with the concat of its 4 nodes.
    const ctx = { training: true, bnUpdates: null };
    let logitsShape: number[] = [];
    return tf
      .profile(() => {
        const logits = net.forward(ctx, x);
        logitsShape = logits.shape;
        return logits;
      })
      .then((info) => {
        const cellOutputs = info.kernels
          .filter((k) => k.name === 'Concat' && k.inputShapes.length === 4)
          .map((k) => k.outputShapes[0]);
        expect(cellOutputs).toEqual([
          [2, 16, 16, 4 * C], // cell 0, normal
          [2, 8, 8, 4 * 2 * C], // cell 1 = ⌊5/3⌋, reduction: H/2, C doubled
          [2, 8, 8, 4 * 2 * C], // cell 2, normal
          [2, 4, 4, 4 * 4 * C], // cell 3 = ⌊10/3⌋, reduction
          [2, 4, 4, 4 * 4 * C], // cell 4, normal
        ]);
        expect(logitsShape).toEqual([2, 10]);
        x.dispose();
        net.dispose();
      });
  });
});

describe('property 4: edges', () => {
  it('14 edges for 4 nodes, in node order (0–1, 2–4, 5–8, 9–13), source j of a node = state j', () => {
    const edges = dartsEdges();
    expect(edges.length).toBe(14);
    expect(edges.map((e) => e.index)).toEqual(Array.from({ length: 14 }, (_, i) => i));
    const byNode = [0, 1, 2, 3].map((n) => edges.filter((e) => e.node === n).map((e) => e.index));
    expect(byNode).toEqual([
      [0, 1],
      [2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12, 13],
    ]);
    for (const n of [0, 1, 2, 3]) expect(edges.filter((e) => e.node === n).map((e) => e.source)).toEqual(Array.from({ length: n + 2 }, (_, j) => j));
  });

  it('flat index ↔ (node, source) is a bijection for any number of nodes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), (steps) => {
        const edges = dartsEdges(steps);
        expect(edges.length).toBe((steps * (steps + 3)) / 2);
        const seen = new Set<number>();
        for (const e of edges) {
          expect(e.source).toBeLessThan(e.node + 2);
          const i = dartsEdgeIndex(e.node, e.source);
          expect(i).toBe(e.index);
          seen.add(i);
        }
        // Injective and onto 0..E−1.
        expect(seen.size).toBe(edges.length);
        expect(Math.min(...seen)).toBe(0);
        expect(Math.max(...seen)).toBe(edges.length - 1);
        // Inverse direction: every flat index names exactly one (node, source).
        for (let i = 0; i < edges.length; i++) expect(edges.filter((e) => dartsEdgeIndex(e.node, e.source) === i).length).toBe(1);
      }),
    );
    expect(() => dartsEdgeIndex(0, 2)).toThrow(/no input from state 2/);
    expect(() => dartsEdgeIndex(2, -1)).toThrow();
  });
});

describe('property 5: discretisation', () => {
  const OPS: string[] = [...DARTS_OPS];
  // Rows of distinct values (ties would make "the" argmax ambiguous), 14 × 8.
  const distinctRow = fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 8, maxLength: 8 }).map((r) => r.map((v) => v / 100));
  const alphaArb = fc.array(distinctRow, { minLength: 14, maxLength: 14 });
  const softmaxRows = (a: number[][]) =>
    a.map((row) => {
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((x, y) => x + y, 0);
      return e.map((v) => v / s);
    });
  // Distinct edge strengths within each node (the rule ranks edges by their best non-none weight).
  const strengthsDistinct = (w: number[][]) =>
    [0, 1, 2, 3].every((n) => {
      const s = dartsEdges().filter((e) => e.node === n).map((e) => Math.max(...w[e.index].slice(1)));
      return new Set(s).size === s.length;
    });

  it('each node gets exactly 2 distinct sources, all < node + 2, never none, and they are the 2 strongest edges', () => {
    fc.assert(
      fc.property(alphaArb, (alpha) => {
        const w = softmaxRows(alpha);
        const cell = deriveDartsCell(w, OPS);
        expect(cell.length).toBe(8);
        for (let node = 0; node < 4; node++) {
          const entries = cell.slice(2 * node, 2 * node + 2);
          const sources = entries.map(([, s]) => s);
          expect(new Set(sources).size).toBe(2);
          for (const s of sources) {
            expect(s).toBeGreaterThanOrEqual(0);
            expect(s).toBeLessThan(node + 2);
          }
          for (const [op, s] of entries) {
            expect(op).not.toBe('none');
            const row = w[dartsEdgeIndex(node, s)];
            // The op is the argmax over the non-none columns.
            expect(row[OPS.indexOf(op)]).toBe(Math.max(...row.slice(1)));
          }
          if (strengthsDistinct(w)) {
            const strength = (s: number) => Math.max(...w[dartsEdgeIndex(node, s)].slice(1));
            const others = Array.from({ length: node + 2 }, (_, j) => j).filter((j) => !sources.includes(j));
            for (const o of others) expect(strength(o)).toBeLessThan(Math.min(...sources.map(strength)));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never picks none even when none dominates every edge', () => {
    const w = Array.from({ length: 14 }, (_, e) => [0.9, ...Array.from({ length: 7 }, (_, k) => (k === e % 7 ? 0.04 : 0.01))]);
    const cell = deriveDartsCell(w, OPS);
    expect(cell.every(([op]) => op !== 'none')).toBe(true);
    expect(cell.length).toBe(8);
  });

  it('permuting the non-none α columns permutes the chosen ops the same way (same edges)', () => {
    fc.assert(
      fc.property(alphaArb, fc.shuffledSubarray([1, 2, 3, 4, 5, 6, 7], { minLength: 7, maxLength: 7 }), (alpha, tail) => {
        const perm = [0, ...tail]; // column j of the new α is column perm[j] of the old one; none stays put
        const inverse = new Array<number>(8);
        perm.forEach((from, to) => (inverse[from] = to));
        const permuted = alpha.map((row) => perm.map((from) => row[from]));
        const before = deriveDartsCell(softmaxRows(alpha), OPS);
        const after = deriveDartsCell(softmaxRows(permuted), OPS);
        expect(after.map(([, s]) => s)).toEqual(before.map(([, s]) => s));
        expect(after.map(([op]) => op)).toEqual(before.map(([op]) => OPS[inverse[OPS.indexOf(op)]]));
      }),
      { numRuns: 200 },
    );
  });

  it('permuting α columns together with the op names (none included) leaves the genotype unchanged', () => {
    fc.assert(
      fc.property(alphaArb, fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7], { minLength: 8, maxLength: 8 }), (alpha, perm) => {
        const permutedOps = perm.map((k) => OPS[k]);
        const permuted = alpha.map((row) => perm.map((k) => row[k]));
        expect(deriveDartsCell(softmaxRows(permuted), permutedOps)).toEqual(deriveDartsCell(softmaxRows(alpha), OPS));
      }),
      { numRuns: 100 },
    );
  });

  it('a genotype from a real supernet has concat [2, 3, 4, 5] and valid cells; wrong row counts are refused', () => {
    const net = buildDartsSupernet({ channels: 2, layers: 3, inputShape: [8, 8, 1], classes: 3 }, new Rng(9));
    const w = Object.fromEntries([...net.alphas].map(([k, a]) => [k, tf.tidy(() => tf.softmax(a).arraySync() as number[][])]));
    const g = deriveDartsGenotype(w.normal, w.reduce, net.ops);
    expect(g.normalConcat).toEqual([2, 3, 4, 5]);
    expect(g.reduceConcat).toEqual([2, 3, 4, 5]);
    for (const cell of [g.normal, g.reduce]) {
      expect(cell.length).toBe(8);
      expect(cell.every(([op, s], i) => op !== 'none' && s < Math.floor(i / 2) + 2)).toBe(true);
    }
    expect(() => deriveDartsCell(w.normal.slice(0, 13), net.ops)).toThrow(/14 edges; got weights for 13/);
    net.dispose();
  });
});
