import { describe, expect, it } from 'vitest';
import { SPD_NORMAL_OPS, SPD_REDUCED_OPS } from '../../../src/shared/spaces/spd';
import { spdGraph, spdHeat, spdHealth, spdOpLabel } from '../../../src/renderer/src/strategies/spdnas/spd-view';

// The SPDNetNAS panels' rules: per-edge op names in the heat map, the derived SPD cell, the health verdict.

/** sparsemax-like rows: weight on one op (or split between two), exact zeros elsewhere. */
const row = (k: number, second?: number) => Array.from({ length: 6 }, (_, i) => (second === undefined ? (i === k ? 1 : 0) : i === k ? 0.7 : i === second ? 0.3 : 0));

describe('spdHeat', () => {
  const snapshot = { ops: [...SPD_NORMAL_OPS], cells: { normal: [row(5), row(2), row(0, 3), row(4), row(1)], reduce: [row(3), row(4), row(4), row(3), row(2)] } };

  it('a normal cell: every edge on the normal list, columns without the list suffix', () => {
    const h = spdHeat(snapshot, 'normal')!;
    expect(h.columns).toEqual(['none', 'WeightedPooling', 'BiMap_0', 'BiMap_1', 'BiMap_2', 'Skip']);
    expect(h.rows).toEqual(['cₖ₋₂→0', 'cₖ₋₁→0', 'cₖ₋₂→1', 'cₖ₋₁→1', 'node 0→1']);
    expect(h.cellNames.every((l) => l.join() === SPD_NORMAL_OPS.join())).toBe(true);
  });

  it('a reduction cell: reduced ops as columns, the inner edge labelled and named with the normal ops', () => {
    const h = spdHeat(snapshot, 'reduce')!;
    expect(h.columns).toEqual(SPD_REDUCED_OPS.map(spdOpLabel));
    expect(h.rows[4]).toBe('node 0→1 · normal ops');
    expect(h.rows.slice(0, 4).every((r) => !r.includes('ops'))).toBe(true);
    expect(h.cellNames[0][3]).toBe('BiMap_1_reduced');
    expect(h.cellNames[4][2]).toBe('BiMap_0_normal');
  });

  it('refuses a snapshot that is not a 5-edge SPD cell', () => {
    expect(spdHeat({ ops: [], cells: { normal: [row(1)] } }, 'normal')).toBeNull();
    expect(spdHeat({ ops: [], cells: {} }, 'reduce')).toBeNull();
  });
});

describe('spdGraph', () => {
  it('keeps the two strongest inputs of each node, never none, with the SPD op names and their weights', () => {
    // Node 0: edges 0 (Skip 1.0) and 1 (BiMap_0 1.0); node 1: edge 2 is all none → skipped for edges 3 and 4.
    const cells = { reduce: [row(4), row(3), row(0), row(4, 1), row(2)] };
    const g = spdGraph({ ops: [...SPD_NORMAL_OPS], cells }, 'reduce')!;
    const labelled = g.edges.filter((e) => e.op !== null).map((e) => [e.from, e.to, e.op, e.weight]);
    expect(labelled).toEqual([
      ['s0', 'n0', 'BiMap_2_reduced', 1],
      ['s1', 'n0', 'BiMap_1_reduced', 1],
      ['s1', 'n1', 'BiMap_2_reduced', 0.7],
      ['n0', 'n1', 'BiMap_0_normal', 1],
    ]);
  });
});

describe('spdHealth', () => {
  it('healthy: a well-spread spectrum above the floor and a small residual', () => {
    expect(spdHealth({ eigMin: 0.01, eigMax: 30, residual: 0.02 }, 1e-4)).toMatchObject({ level: 'ok', reasons: [] });
  });
  it('collapsed: the whole spectrum on the ReEig floor, a non-positive or non-finite eigenvalue', () => {
    expect(spdHealth({ eigMin: 1e-4, eigMax: 5e-4 }, 1e-4).level).toBe('collapsed');
    expect(spdHealth({ eigMin: -1e-3, eigMax: 2 }, 1e-4).reasons[0]).toMatch(/no longer positive definite/);
    expect(spdHealth({ eigMin: Number.NaN, eigMax: 2 }, 1e-4)).toMatchObject({ level: 'collapsed' });
  });
  it('watch: a condition number past float32 and a Karcher step far from the mean', () => {
    expect(spdHealth({ eigMin: 1e-4, eigMax: 1e3 }, 1e-4).reasons[0]).toMatch(/λ_max\/λ_min is 1\.0e\+7/);
    expect(spdHealth({ eigMin: 0.1, eigMax: 1, residual: 3 }, 1e-4)).toMatchObject({ level: 'warn' });
  });
});
