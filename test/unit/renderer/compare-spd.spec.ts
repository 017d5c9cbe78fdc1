import { describe, expect, it } from 'vitest';
import type { ComparedRun } from '../../../src/shared/api';
import { parseSearchConfig } from '../../../src/shared/config';
import { cellOf, cellTypesOf, editDistance, noCellText, sameArchitecture } from '../../../src/renderer/src/lib/compare/cells';
import { compareRows } from '../../../src/renderer/src/lib/compare/table';

// Compare on SPDNetNAS runs: the Cells section draws a search's and a retrain's SPD cells with their SPD op
// names (from the genotype, or from the latest sparsemax(α) snapshot, where a reduction cell's inner edge picks
// from the normal list), says why the SPDNet baseline has none, and the cost row counts MACs per matrix.

let nextId = 1;
function spdRun(result: { arch?: string; genotype?: unknown; architecture?: unknown; evaluation?: unknown }): ComparedRun {
  const config = parseSearchConfig({ dataset: 'spd-synthetic', space: { name: 'spd' }, strategy: { name: 'spdnas' }, seed: nextId });
  const detail = { id: nextId++, name: `spd ${nextId}`, status: 'completed', kind: 'search', config, arch: result.arch ?? null, genotype: result.genotype ?? null, evaluation: result.evaluation ?? null, nb201: null, summary: null, activeMs: 1000 };
  return { detail, series: {}, last: {}, architecture: result.architecture ?? null } as unknown as ComparedRun;
}
const edgesOf = (run: ComparedRun, cell: string) => cellOf(run, cell)!.edges.map((e) => `${e.from}>${e.to}:${e.op}`).sort();

const NORMAL: [string, number][] = [['BiMap_0_normal', 0], ['WeightedPooling_normal', 1], ['Skip_normal', 0], ['BiMap_2_normal', 2]];
const REDUCE: [string, number][] = [['MaxPooling_reduced', 0], ['BiMap_1_reduced', 1], ['BiMap_2_reduced', 1], ['WeightedPooling_normal', 2]];
const genotype = (normal = NORMAL, reduce = REDUCE) => ({ normal, normalConcat: [2, 3], reduce, reduceConcat: [2, 3] });

describe('compare: SPD cells', () => {
  it('draws both cell types of a search result with their SPD op names, and compares them', () => {
    expect(cellTypesOf('spd')).toEqual(['normal', 'reduce']);
    const a = spdRun({ genotype: genotype() });
    expect(edgesOf(a, 'normal')).toEqual(['n0>n1:BiMap_2_normal', 's0>n0:BiMap_0_normal', 's0>n1:Skip_normal', 's1>n0:WeightedPooling_normal']);
    expect(edgesOf(a, 'reduce')).toEqual(['n0>n1:WeightedPooling_normal', 's0>n0:MaxPooling_reduced', 's1>n0:BiMap_1_reduced', 's1>n1:BiMap_2_reduced']);
    const changed = spdRun({ genotype: genotype(NORMAL, REDUCE.map(([op, s], i) => (i === 0 ? ['AvgPooling2_reduced', s] : [op, s]))) });
    expect(sameArchitecture('spd', cellOf(a, 'normal')!, cellOf(changed, 'normal')!)).toBe(true);
    expect(editDistance('spd', cellOf(a, 'reduce')!, cellOf(changed, 'reduce')!)).toBe(1);
  });

  it('without a result, derives the cell from the latest sparsemax(α) snapshot with each edge’s own op list', () => {
    // Rows: node0←c_{k-2}, node0←c_{k-1}, node1←c_{k-2}, node1←c_{k-1}, node1←node0. In a reduction cell the
    // first four rows choose among the reduced ops and the last among the normal ones.
    const reduce = [
      [0.1, 0, 0.9, 0, 0, 0], // → MaxPooling_reduced
      [0.2, 0, 0, 0.8, 0, 0], // → BiMap_1_reduced
      [0.9, 0.1, 0, 0, 0, 0], // mostly none: the weakest input of node 1
      [0.3, 0, 0, 0, 0, 0.7], // → Skip_reduced
      [0, 0.6, 0.4, 0, 0, 0], // → WeightedPooling_normal
    ];
    const normalOps = ['none_normal', 'WeightedPooling_normal', 'BiMap_0_normal', 'BiMap_1_normal', 'BiMap_2_normal', 'Skip_normal'];
    const run = spdRun({ architecture: { epoch: 0, ops: normalOps, cells: { reduce } } });
    const cell = cellOf(run, 'reduce')!;
    expect(cell.source).toBe('snapshot');
    expect(edgesOf(run, 'reduce')).toEqual(['n0>n1:WeightedPooling_normal', 's0>n0:MaxPooling_reduced', 's1>n0:BiMap_1_reduced', 's1>n1:Skip_reduced']);
    expect(cellOf(run, 'normal')).toBeNull();
  });

  it('says the SPDNet baseline has no searched cell', () => {
    const baseline = spdRun({ arch: 'SPDNet 20→16→8' });
    expect(cellOf(baseline, 'normal')).toBeNull();
    expect(cellOf(baseline, 'reduce')).toBeNull();
    expect(noCellText(baseline)).toBe('SPDNet 20→16→8: hand-designed, no searched cell');
    expect(noCellText(spdRun({ genotype: genotype() }))).toBe('No cell');
  });
});

describe('compare: SPD cost row', () => {
  it('counts multiply-adds per matrix for SPD runs, per image for image runs', () => {
    const evaluation = (flops: number) => ({ testAccuracy: 0.9, params: 643, flops, latencyMs: 1 });
    const cell = spdRun({ genotype: genotype(), evaluation: evaluation(5000) });
    const baseline = spdRun({ arch: 'SPDNet 20→16→8', evaluation: evaluation(1200) });
    const label = (runs: ComparedRun[]) => compareRows(runs).find((r) => r.key === 'evaluation.flops')?.label;
    expect(label([cell, baseline])).toBe('FLOPs (MACs per matrix)');
    const image = { ...cell, detail: { ...cell.detail, config: parseSearchConfig({ dataset: 'demo', space: { name: 'darts' }, strategy: { name: 'darts' } }) } } as ComparedRun;
    expect(label([image])).toBe('FLOPs (MACs per image)');
    expect(label([image, baseline])).toBe('FLOPs (MACs per image or matrix)');
  });
});
