import { describe, expect, it } from 'vitest';
import type { ComparedRun } from '../../../src/shared/api';
import { parseSearchConfig } from '../../../src/shared/config';
import { cellOf, cellTypesOf, editDistance, equivalenceKey, sameArchitecture } from '../../../src/renderer/src/lib/compare/cells';
import { differingKeys, mergeCells } from '../../../src/renderer/src/lib/compare/graph-diff';
import { dominates, paretoFront } from '../../../src/renderer/src/lib/compare/pareto';
import { agreementOf, sharedGroupId } from '../../../src/renderer/src/lib/compare/agreement';
import { compareRows, deltaOf, isImprovement, nextDifference, rowsToCsv } from '../../../src/renderer/src/lib/compare/table';

// Hand-made cells with known answers: which edges differ, which cells are the same computation, which points
// are Pareto-optimal, how much a group agrees.

let nextId = 1;
function run(space: 'nb201' | 'darts', result: { arch?: string; genotype?: unknown }, extra: Record<string, unknown> = {}): ComparedRun {
  const config = parseSearchConfig({ dataset: 'demo', space: { name: space }, strategy: { name: 'darts' }, seed: nextId });
  const detail = { id: nextId++, name: `run ${nextId}`, status: 'completed', kind: 'search', config, arch: result.arch ?? null, genotype: result.genotype ?? null, nb201: null, summary: null, bestAccuracy: null, activeMs: 1000, ...extra };
  return { detail, series: {}, last: {}, architecture: null } as unknown as ComparedRun;
}
const nb = (arch: string) => cellOf(run('nb201', { arch }), 'cell')!;
const genotype = (normal: [string, number][], reduce: [string, number][] = normal) => ({ normal, normalConcat: [2, 3, 4, 5], reduce, reduceConcat: [2, 3, 4, 5] });
const D1: [string, number][] = [['sep_conv_3x3', 0], ['sep_conv_3x3', 1], ['skip_connect', 0], ['sep_conv_3x3', 1], ['skip_connect', 0], ['dil_conv_3x3', 2], ['max_pool_3x3', 0], ['skip_connect', 2]];

describe('cells: equivalence and edit distance', () => {
  it('NAS-Bench-201: isomorphic cells are the same architecture with a non-zero edit distance; real changes are not', () => {
    // skip 0→1 then conv 1→3, versus conv 0→3 directly with the rest dead: both compute conv(x).
    const a = nb('|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|');
    const b = nb('|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|');
    const c = nb('|none~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|');
    expect(sameArchitecture('nb201', a, b)).toBe(true);
    expect(editDistance('nb201', a, b)).toBe(3);
    expect(sameArchitecture('nb201', b, c)).toBe(false);
    expect(editDistance('nb201', b, c)).toBe(1);
  });

  it('DARTS: a node’s inputs in another order are the same genotype; a moved input or changed op is one edit', () => {
    const swapped = D1.map((e) => [...e] as [string, number]);
    [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
    const moved = D1.map((e) => [...e] as [string, number]);
    moved[7] = ['skip_connect', 1];
    const opChanged = D1.map((e) => [...e] as [string, number]);
    opChanged[5] = ['sep_conv_5x5', 2];
    opChanged[0] = ['avg_pool_3x3', 0];
    const cell = (g: [string, number][]) => cellOf(run('darts', { genotype: genotype(g) }), 'normal')!;
    expect(sameArchitecture('darts', cell(D1), cell(swapped))).toBe(true);
    expect(editDistance('darts', cell(D1), cell(swapped))).toBe(0);
    expect(equivalenceKey('darts', cell(D1))).not.toBe(equivalenceKey('darts', cell(moved)));
    expect(editDistance('darts', cell(D1), cell(moved))).toBe(1);
    expect(editDistance('darts', cell(D1), cell(opChanged))).toBe(2);
    expect(cellTypesOf('darts')).toEqual(['normal', 'reduce']);
  });
});

describe('merged graph', () => {
  it('marks exactly the positions that differ between A and B, by kind', () => {
    // Edges: 0→1, 0→2, 1→2, 0→3, 1→3, 2→3.
    const A = nb('|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|');
    const B = nb('|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|nor_conv_3x3~0|nor_conv_1x1~1|none~2|');
    const m = mergeCells([A, B], 0, 1)!;
    const byKey = Object.fromEntries(m.edges.map((e) => [e.key, e.diff]));
    expect(byKey).toEqual({ 'n0>n1': 'same', 'n0>n2': 'only-a', 'n1>n2': 'only-b', 'n0>n3': 'op-differs', 'n1>n3': 'same' });
    expect(differingKeys(m).sort()).toEqual(['n0>n2', 'n0>n3', 'n1>n2']);
    expect(m.edges.find((e) => e.key === 'n0>n3')!.label).toBe('avg_pool_3x3 ≠ nor_conv_3x3');
    // A third run that differs where A and B agree: that edge is no longer 'same' but is not an A/B difference.
    const C = nb('|skip_connect~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|');
    const m3 = mergeCells([A, B, C], 0, 1)!;
    expect(m3.edges.find((e) => e.key === 'n0>n1')!.diff).toBe('ab-only');
    expect(differingKeys(m3).sort()).toEqual(['n0>n2', 'n0>n3', 'n1>n2']);
    // Spotlight B against C instead.
    expect(differingKeys(mergeCells([A, B, C], 1, 2)!).sort()).toEqual(['n0>n1', 'n0>n2', 'n0>n3', 'n1>n2']);
    expect(mergeCells([null, null], 0, 1)).toBeNull();
  });

  it('a run without a cell neither agrees nor disagrees; DARTS concat edges stay structural', () => {
    const cell = cellOf(run('darts', { genotype: genotype(D1) }), 'reduce')!;
    const m = mergeCells([cell, null, cell], 0, 2)!;
    expect(m.edges.every((e) => e.diff === 'same')).toBe(true);
    expect(m.edges).toHaveLength(8);
    expect(m.structural.map((s) => s.to)).toEqual(['out', 'out', 'out', 'out']);
  });
});

describe('Pareto front', () => {
  it('keeps the points no other beats on both cost and accuracy', () => {
    const pts = [
      { id: 1, cost: 10, accuracy: 0.9 },
      { id: 2, cost: 5, accuracy: 0.85 },
      { id: 3, cost: 12, accuracy: 0.88 }, // beaten by 1
      { id: 4, cost: 5, accuracy: 0.8 }, // beaten by 2
      { id: 5, cost: 20, accuracy: 0.95 },
      { id: 6, cost: 1, accuracy: Number.NaN }, // no accuracy: not on the chart
    ];
    expect(paretoFront(pts)).toEqual([2, 1, 5]);
    expect(dominates(pts[0], pts[2])).toBe(true);
    expect(dominates(pts[0], pts[0])).toBe(false);
    expect(paretoFront([{ id: 1, cost: 1, accuracy: 1 }, { id: 2, cost: 1, accuracy: 1 }])).toEqual([1, 2]);
  });
});

describe('agreement', () => {
  it('counts same architectures, overlaps and the accuracy spread', () => {
    const same1 = nb('|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|');
    const same2 = nb('|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|');
    const other = nb('|none~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|');
    const ag = agreementOf('nb201', [[same1], [same2], [other], [null]], [0.5, 0.7, 0.6, null]);
    expect(ag).toMatchObject({ runsWithCells: 3, sameArchitecture: 2, distinctArchitectures: 2 });
    // Positions: {0>1,1>3}, {0>3}, {0>3}: pairs 0, 0, 1 → 1/3; with ops the last pair differs → 0.
    expect(ag.edgeOverlap).toBeCloseTo(1 / 3, 12);
    expect(ag.opOverlap).toBe(0);
    expect(ag.accuracy).toMatchObject({ n: 3, min: 0.5, max: 0.7 });
    expect(ag.accuracy!.mean).toBeCloseTo(0.6, 12);
    expect(ag.accuracy!.std).toBeCloseTo(0.1, 12);
    expect(sharedGroupId([{ groupId: 4 }, { groupId: 4 }])).toBe(4);
    expect(sharedGroupId([{ groupId: 4 }, { groupId: null }])).toBeNull();
    expect(sharedGroupId([{}, {}])).toBeNull();
  });
});

describe('comparison table', () => {
  it('flattens configs, marks identical rows, leaves out columns no run has, and writes CSV with raw values', () => {
    const a = run('nb201', { arch: '|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|' }, { accuracy: 0.5, accuracyMeasure: 'search-val', name: 'a, "quoted"' });
    const b = run('nb201', { arch: '|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|' }, { accuracy: 0.75, accuracyMeasure: 'search-val' });
    a.last = { val_acc: [1, 1, 0.5] };
    b.last = { val_acc: [0, 0, 0.75] };
    const rows = compareRows([a, b]);
    const row = (k: string) => rows.find((r) => r.key === k);
    expect(row('config.seed')).toMatchObject({ identical: false, values: [a.detail.config.seed, b.detail.config.seed] });
    expect(row('config.space.channels')).toMatchObject({ identical: true });
    expect(row('arch')!.identical).toBe(true);
    expect(row('nb201.cifar10')).toBeUndefined();
    expect(row('evaluation.params')).toBeUndefined();
    const acc = row('accuracy.search-val')!;
    // Accuracies of another measure never share that row (nor a delta with it).
    expect(row('accuracy.table')).toBeUndefined();
    expect(deltaOf(acc, 1, 0)).toBeCloseTo(0.25, 12);
    expect(isImprovement(acc, 0.25)).toBe(true);
    expect(row('metric.val_acc')!.values).toEqual([0.5, 0.75]);
    const diffRows = rows.map((r, i) => (r.identical ? -1 : i)).filter((i) => i >= 0);
    expect(nextDifference(rows, -1 + rows.length, 1)).toBe(diffRows[0]);
    expect(nextDifference(rows, diffRows[0], -1)).toBe(diffRows[diffRows.length - 1]);
    const csv = rowsToCsv([a, b], rows).split('\r\n');
    expect(csv[0]).toBe(`field,"#${a.detail.id} a, ""quoted""",#${b.detail.id} ${b.detail.name}`);
    expect(csv).toContain(`config.seed,${a.detail.config.seed},${b.detail.config.seed}`);
    expect(csv).toContain('accuracy.search-val,0.5,0.75');
    const dry = run('nb201', { arch: '|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|' }, { accuracy: 0.94, accuracyMeasure: 'table' });
    const mixed = compareRows([a, dry]);
    expect(mixed.find((r) => r.key === 'accuracy.search-val')!.values).toEqual([0.5, null]);
    expect(mixed.find((r) => r.key === 'accuracy.table')!.values).toEqual([null, 0.94]);
  });
});
