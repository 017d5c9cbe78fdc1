import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src/shared/api';
import { RunListQuerySchema } from '../../../src/shared/api';
import { RUN_COLUMNS, compareRoute, filterFromRoute, filterToRoute, firstDirection, isFiltered, pageQuery, spaceOf, strategyOf } from '../../../src/renderer/src/lib/runs-table';
import { RunPages } from '../../../src/renderer/src/lib/run-pages';

// The runs list's labels, its filter in the URL, and the page cache that reads a long list a page at a time.

function run(id: number, over: Partial<RunSummary> = {}): RunSummary {
  return {
    id, kind: 'search', name: `run ${id}`, status: 'completed', strategy: 'darts', space: 'nb201', datasetName: 'demo', seed: 0,
    createdAt: id, startedAt: id, finishedAt: id + 1, bestAccuracy: null, progress: 1, error: null, activeMs: 0, runningSince: null,
    collapseWarning: null, strategyOrder: null, parentId: null, groupId: null, tags: [], note: null, epochs: 3, backend: 'cpu',
    nb201Accuracy: null, nb201Rank: null, testAccuracy: null, accuracy: null, accuracyMeasure: 'search-val', where: 'local', ranOn: null, ...over,
  };
}

describe('runs list labels', () => {
  it('names the strategy with its variant and the space by its label', () => {
    expect(strategyOf(run(1, { strategyOrder: 2 }))).toBe('DARTS · 2nd order');
    expect(strategyOf(run(1, { strategy: 'sgas-es', strategyOrder: 1 }))).toBe('SGAS-es · 1st order');
    expect(strategyOf(run(1, { strategy: 'evolution' }))).toBe('Regularised evolution');
    expect(strategyOf(run(1, { strategy: 'not-registered' }))).toBe('not-registered');
    expect(spaceOf(run(1))).toBe('NAS-Bench-201');
  });
  it('offers every column the API sorts on, each once, and ranks best first', () => {
    const keys = RUN_COLUMNS.map((c) => c.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(RunListQuerySchema.safeParse({ sort: key }).success, key).toBe(true);
    expect(firstDirection('nb201Rank')).toBe('asc');
    expect(firstDirection('nb201Accuracy')).toBe('desc');
    expect(firstDirection('name')).toBe('asc');
  });
});

describe('the list filter in the URL', () => {
  it('round-trips every filter and drops unknown values', () => {
    const f = { search: 'wide', status: 'failed', kind: 'dry-run', strategy: 'darts', space: 'nb201', dataset: 'CIFAR-10', tag: 'keep', groupId: 4 } as const;
    expect(filterFromRoute(filterToRoute(f))).toEqual(f);
    expect(filterFromRoute({ status: 'exploded', kind: 'x', group: '-2', q: '' })).toEqual({});
    expect(isFiltered({})).toBe(false);
    expect(isFiltered({ tag: 'keep' })).toBe(true);
  });
  it('builds page queries the API accepts, and the Compare route', () => {
    const q = pageQuery({ search: '  ', tag: 'keep' }, 'nb201Rank', 'asc', 200, 100);
    expect(RunListQuerySchema.parse(q)).toEqual({ tag: 'keep', sort: 'nb201Rank', direction: 'asc', offset: 200, limit: 100 });
    expect(compareRoute([3, 1, 2])).toBe('/compare?ids=3,1,2');
    expect(compareRoute([3, 1], 1)).toBe('/compare?ids=3,1&baseline=1');
  });
});

describe('RunPages', () => {
  const all = Array.from({ length: 250 }, (_, i) => run(i + 1));
  const fetcher = (rows: RunSummary[], calls: number[]) => async (offset: number, limit: number) => {
    calls.push(offset);
    return rows.slice(offset, offset + limit);
  };

  it('fetches only the pages a range needs, once each, even when asked twice at once', async () => {
    const calls: number[] = [];
    const pages = new RunPages(fetcher(all, calls), 100);
    expect(pages.at(150)).toBeUndefined();
    await Promise.all([pages.ensure(120, 180), pages.ensure(150, 210)]);
    expect(calls).toEqual([100, 200]);
    expect(pages.at(150)!.id).toBe(151);
    expect(pages.at(249)!.id).toBe(250);
    expect(pages.at(50)).toBeUndefined();
    await pages.ensure(0, 249);
    expect(calls).toEqual([100, 200, 0]);
    expect(pages.loadedRows().map((r) => r.id)).toEqual(all.map((r) => r.id));
  });

  it('drops an answer that arrives after the query changed', async () => {
    let release!: () => void;
    const slow = (offset: number, limit: number) => new Promise<RunSummary[]>((r) => (release = () => r(all.slice(offset, offset + limit))));
    const pages = new RunPages(slow, 100);
    const waiting = pages.ensure(0, 10);
    const other = all.map((r) => ({ ...r, name: 'new query' }));
    pages.reset(fetcher(other, []));
    release();
    await waiting;
    expect(pages.at(0)).toBeUndefined();
    await pages.ensure(0, 10);
    expect(pages.at(0)!.name).toBe('new query');
  });

  it('replaces a pushed run where it is loaded and refreshes the loaded pages', async () => {
    const rows = all.slice();
    let changes = 0;
    const pages = new RunPages(fetcher(rows, []), 100, () => changes++);
    await pages.ensure(0, 0);
    expect(pages.update(run(5, { name: 'renamed' }))).toBe(true);
    expect(pages.at(4)!.name).toBe('renamed');
    expect(pages.update(run(999))).toBe(false);
    rows.splice(0, 1); // run 1 deleted
    await pages.refresh();
    expect(pages.at(0)!.id).toBe(2);
    expect(changes).toBeGreaterThanOrEqual(2);
  });
});
