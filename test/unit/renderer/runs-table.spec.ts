import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src/shared/api';
import { RUN_COLUMNS, filterRuns, firstDirection, sortRuns, spaceOf, strategyOf } from '../../../src/renderer/src/lib/runs-table';

// The runs list's search and sort on summaries shaped as runs.list returns them.

function run(id: number, over: Partial<RunSummary>): RunSummary {
  return {
    id,
    kind: 'search',
    name: `run ${id}`,
    status: 'completed',
    strategy: 'darts',
    space: 'nb201',
    datasetName: 'Fashion-MNIST demo',
    seed: 0,
    createdAt: 1_000 * id,
    startedAt: 1_000 * id,
    finishedAt: 1_000 * id + 500,
    bestAccuracy: null,
    progress: 1,
    error: null,
    activeMs: 0,
    runningSince: null,
    collapseWarning: null,
    strategyOrder: 1,
    ...over,
  };
}

const runs = [
  run(1, { name: 'baseline', strategy: 'darts', space: 'darts', bestAccuracy: 0.5, activeMs: 90_000, strategyOrder: 2 }),
  run(2, { name: 'early stop', strategy: 'sgas-es', bestAccuracy: 0.7, activeMs: 30_000, status: 'failed' }),
  run(3, { name: 'greedy', strategy: 'sgas', bestAccuracy: null, status: 'running', activeMs: 10_000, runningSince: 50_000 }),
];

describe('runs list search', () => {
  it('finds runs by the labels the table shows, not only by stored names', () => {
    expect(filterRuns(runs, 'NAS-Bench-201', '').map((r) => r.id)).toEqual([2, 3]);
    expect(filterRuns(runs, '2nd order', '').map((r) => r.id)).toEqual([1]);
    expect(filterRuns(runs, 'SGAS-es', '').map((r) => r.id)).toEqual([2]);
  });
  it('needs every term and the status', () => {
    expect(filterRuns(runs, 'sgas greedy', '').map((r) => r.id)).toEqual([3]);
    expect(filterRuns(runs, 'sgas', 'failed').map((r) => r.id)).toEqual([2]);
    expect(filterRuns(runs, '#1', '').map((r) => r.id)).toEqual([1]);
  });
});

describe('runs list sort', () => {
  it('puts runs without an accuracy last in both directions', () => {
    expect(sortRuns(runs, 'bestAccuracy', 'desc', 0).map((r) => r.id)).toEqual([2, 1, 3]);
    expect(sortRuns(runs, 'bestAccuracy', 'asc', 0).map((r) => r.id)).toEqual([1, 2, 3]);
  });
  it('sorts a running run by its live duration', () => {
    // Run 3 has trained 10 s before the current span started 60 s ago: 70 s, between the other two.
    expect(sortRuns(runs, 'duration', 'desc', 110_000).map((r) => r.id)).toEqual([1, 3, 2]);
  });
  it('sorts strategies and spaces by their shown labels', () => {
    expect(sortRuns(runs, 'strategy', firstDirection('strategy'), 0).map(strategyOf)).toEqual(['DARTS (2nd order)', 'SGAS (1st order)', 'SGAS-es (1st order)']);
    expect(sortRuns(runs, 'space', 'asc', 0).map(spaceOf)).toEqual(['DARTS', 'NAS-Bench-201', 'NAS-Bench-201']);
  });
  it('starts text columns A→Z and numbers largest first', () => {
    expect(firstDirection('name')).toBe('asc');
    expect(firstDirection('bestAccuracy')).toBe('desc');
  });
  it('leaves only the creation date out of a narrow table', () => {
    expect(RUN_COLUMNS.filter((c) => c.narrow === 'hide').map((c) => c.key)).toEqual(['createdAt']);
  });
});
