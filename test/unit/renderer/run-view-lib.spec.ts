import { describe, expect, it } from 'vitest';
import type { Decision, EarlyStop, Eigenvalue } from '../../../src/shared/events';
import { NB201_EDGES } from '../../../src/shared/spaces/nb201';
import { formatEpoch, heatRange } from '../../../src/renderer/src/lib/chart-format';
import { candidateRows, forcedGraph, lambdaChart } from '../../../src/renderer/src/lib/search-history';

describe('epoch axis', () => {
  it('prints whole epochs as integers and a step inside an epoch with at most 2 decimals', () => {
    expect(formatEpoch(1 / 24)).toBe('0.04');
    expect(formatEpoch(3)).toBe('3');
    expect(formatEpoch(2.5)).toBe('2.5');
    expect(formatEpoch(0.041666666666666664).length).toBeLessThanOrEqual(4);
  });
});

describe('α heat-map colour scale', () => {
  it('spans the data, and the legend digits tell its ends apart', () => {
    const early = [
      [0.198, 0.2, 0.202, 0.2, 0.2],
      [0.201, 0.199, 0.2, 0.2, 0.2],
    ];
    const r = heatRange(early);
    expect(r.min).toBe(0.198);
    expect(r.max).toBe(0.202);
    expect(r.min.toFixed(r.digits)).not.toBe(r.max.toFixed(r.digits));
  });
  it('gives a constant matrix a non-empty range around its value', () => {
    const r = heatRange([[0.2, 0.2]]);
    expect(r.max).toBeGreaterThan(r.min);
    expect(r.min).toBeLessThan(0.2);
    expect(r.max).toBeGreaterThan(0.2);
  });
});

const decision = (edge: number, score: (number | null)[]): Decision => ({
  epoch: 4,
  wallEpoch: 6,
  cellType: 'cell',
  edge,
  edgeLabel: `e${edge}`,
  op: 'nor_conv_3x3',
  pruned: [],
  scores: { importance: score.map((s) => (s ?? 0) + 0.1), certainty: score.map(() => 0.5), stability: null, score },
  reason: 'early-stop',
});

describe('decision candidates', () => {
  it('lists every edge, best score first, decided edges last, the chosen one marked', () => {
    const rows = candidateRows(decision(2, [0.1, null, 0.4, 0.3]), ['a', 'b', 'c', 'd']);
    expect(rows.map((r) => r.label)).toEqual(['c', 'd', 'a', 'b']);
    expect(rows.filter((r) => r.chosen).map((r) => r.edge)).toEqual([2]);
    expect(rows[3].score).toBeNull();
  });
});

describe('λ_max chart', () => {
  const ev = (epoch: number, wallEpoch: number, lambdaMax: number, localAverage: number | null = null): Eigenvalue => ({ epoch, wallEpoch, lambdaMax, localAverage, iterations: 4 });
  // Epochs 0..3 trained, the stop at epoch 3 rolls back to epoch 1; epochs 2, 3 are trained again (wall 4, 5).
  const eigen = [ev(0, 0, 1), ev(1, 1, 1.1), ev(2, 2, 2, 1.4), ev(3, 3, 3, 2), ev(2, 4, 0.9), ev(3, 5, 1.0, 0.95)];
  const stops: EarlyStop[] = [{ epoch: 3, wallEpoch: 3, rollbackTo: 1, reason: 'eigenvalue', ratio: 1.5 }];

  it('on wall epochs draws every value once, and marks the stop and the rollback where they happened', () => {
    const d = lambdaChart(eigen, stops, 'wall');
    expect(d.lambda.map(([x]) => x)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(d.stops).toEqual([{ x: 4, label: 'stop ×1.50' }]);
    expect(d.rollbacks).toEqual([{ x: 4, label: '↺ epoch 2' }]);
  });

  it('on logical epochs keeps the trajectory after the rollback, the rollback marked at its target', () => {
    const d = lambdaChart(eigen, stops, 'logical');
    expect(d.lambda).toEqual([[1, 1], [2, 1.1], [3, 0.9], [4, 1.0]]);
    expect(d.rollbacks[0].x).toBe(2);
  });

  it('shifts the local average to the centre of its window', () => {
    expect(lambdaChart(eigen, [], 'wall', 1).average).toEqual([[2, 1.4], [3, 2], [5, 0.95]]);
  });
});

describe('growing cell', () => {
  it('NAS-Bench-201: decided edges solid, the rest pending', () => {
    const genotype = ['skip_connect', 'nor_conv_3x3', 'avg_pool_3x3', 'nor_conv_1x1', 'nor_conv_3x3', 'skip_connect'];
    const g = forcedGraph('nb201', { genotype, forced: true, decided: { cell: [null, 3, null, null, 2, null] } }, 'cell')!;
    expect(g.edges).toHaveLength(NB201_EDGES.length);
    expect(g.edges.map((e) => !!e.pending)).toEqual([true, false, true, true, false, true]);
    expect(g.edges.map((e) => e.op)).toEqual(genotype);
  });

  it('DARTS space: an entry is decided when its (node, input) edge is', () => {
    // 2 nodes: node 0 has edges 0 (s0), 1 (s1); node 1 has edges 2 (s0), 3 (s1), 4 (node 0).
    const genotype = { normal: [['sep_conv_3x3', 0], ['skip_connect', 1], ['dil_conv_3x3', 2], ['sep_conv_5x5', 1]], reduce: [] };
    const g = forcedGraph('darts', { genotype, forced: true, decided: { normal: [1, null, null, 4, null] } }, 'normal')!;
    const opEdges = g.edges.filter((e) => e.op !== null);
    expect(opEdges.map((e) => [e.op, !!e.pending])).toEqual([
      ['sep_conv_3x3', false],
      ['skip_connect', true],
      ['dil_conv_3x3', true],
      ['sep_conv_5x5', false],
    ]);
  });
});
