import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type { RunListQuery } from '../../../src/shared/api';
import type { SearchConfig } from '../../../src/shared/config';
import { Store } from '../../../src/main/store/store';
import { searchConfig, tempDataDir } from './helpers';

// The runs list over a real SQLite file: pages that add up to the whole filtered, sorted list; filters by
// strategy, space, dataset, tag and group; tags and notes; a retrain's evaluation and its lineage.

const N = 260;

describe('runs list pages, filters, tags and notes', () => {
  const tmp = tempDataDir();
  let store: Store;
  beforeAll(() => {
    store = Store.open(tmp.dbPath);
    store.transaction(() => {
      for (let i = 0; i < N; i++) {
        const base = searchConfig({ space: i % 3 === 0 ? 'darts' : 'nb201', seed: i, epochs: 1 + (i % 7), backend: i % 2 ? 'wasm' : 'cpu' });
        const config = { ...base, strategy: { ...base.strategy, name: i % 4 === 0 ? 'sgas' : 'darts' } } as SearchConfig;
        const id = store.runs.create(config, { id: null, name: i % 5 === 0 ? 'CIFAR-10' : 'Fashion-MNIST' }, { name: `run ${i}`, createdAt: 1000 + i, groupId: i < 3 ? 1 : null });
        if (i % 2 === 0) store.annotations.setTags(id, i % 6 === 0 ? ['wide', 'keep'] : ['wide']);
        if (i % 10 === 0) store.annotations.setNote(id, `looked at ${i}: promising`);
        if (i % 3 !== 0) {
          // A found cell with its table score: nb201 accuracy and rank become sortable columns.
          store.ingest(id, [{ type: 'result', arch: `a${i}`, genotype: null, nb201: { arch: `a${i}`, index: i, cifar10: 80 + (i % 13), cifar100: 50, imagenet16: 30, rank: 1 + ((i * 37) % 500), percentile: 50, gapToOptimum: 1 }, trainAccuracy: 0.5, valAccuracy: 0.3 + (i % 11) / 100, seconds: 1 }]);
        }
      }
    });
  });
  afterAll(() => {
    store.close();
    tmp.dispose();
  });

  const pagesOf = (q: RunListQuery, size: number) => {
    const ids: number[] = [];
    for (let offset = 0; ; offset += size) {
      const page = store.runs.list({ ...q, offset, limit: size });
      ids.push(...page.map((r) => r.id));
      if (page.length < size) return ids;
    }
  };

  it.each<RunListQuery>([
    {},
    { sort: 'nb201Accuracy', direction: 'desc' },
    { sort: 'nb201Rank', direction: 'asc' },
    { sort: 'epochs', direction: 'asc', tag: 'wide' },
    { sort: 'backend', space: 'nb201', strategy: 'darts' },
    { sort: 'bestAccuracy', dataset: 'CIFAR-10' },
    { sort: 'seed', search: 'promising' },
  ])('pages of %j add up to the whole list, no run twice or lost', (q) => {
    const whole = store.runs.list(q).map((r) => r.id);
    expect(pagesOf(q, 37)).toEqual(whole);
    expect(store.runs.facets(q).matching).toBe(whole.length);
    expect(new Set(whole).size).toBe(whole.length);
  });

  it('filters by strategy, space, dataset, tag and group against the rows as stored', () => {
    const raw = new Database(tmp.dbPath, { readonly: true });
    try {
      const ids = (sql: string) => (raw.prepare(`SELECT id FROM runs WHERE ${sql} ORDER BY id`).pluck().all() as number[]);
      const listed = (q: RunListQuery) => store.runs.list({ ...q, sort: 'id', direction: 'asc' }).map((r) => r.id);
      expect(listed({ strategy: 'sgas' })).toEqual(ids("strategy = 'sgas'"));
      expect(listed({ space: 'darts', dataset: 'CIFAR-10' })).toEqual(ids("space = 'darts' AND dataset_name = 'CIFAR-10'"));
      expect(listed({ tag: 'keep' })).toEqual(ids("id IN (SELECT run_id FROM tags WHERE tag = 'keep')"));
      expect(listed({ groupId: 1 })).toEqual([1, 2, 3]);
      expect(listed({ tag: 'keep' }).length).toBeGreaterThan(10);
    } finally {
      raw.close();
    }
  });

  it('sorts the table columns with nulls last in both directions', () => {
    for (const direction of ['asc', 'desc'] as const) {
      const rows = store.runs.list({ sort: 'nb201Rank', direction });
      const ranks = rows.map((r) => r.nb201Rank);
      const firstNull = ranks.indexOf(null);
      expect(firstNull).toBeGreaterThan(0);
      expect(ranks.slice(firstNull).every((r) => r === null)).toBe(true);
      const known = ranks.slice(0, firstNull) as number[];
      expect(known).toEqual([...known].sort((a, b) => (direction === 'asc' ? a - b : b - a)));
    }
  });

  it('counts facets over the whole history', () => {
    const f = store.runs.facets({ tag: 'keep' });
    expect(f.total).toBe(N);
    expect(f.tags).toEqual([
      { value: 'keep', count: Math.ceil(N / 6) },
      { value: 'wide', count: N / 2 },
    ]);
    expect(f.strategies.reduce((s, x) => s + x.count, 0)).toBe(N);
    expect(f.matching).toBe(Math.ceil(N / 6));
  });

  it('replaces tags, sets and clears a note, and the list and search see them', () => {
    const id = 2;
    store.annotations.setTags(id, [' best ', 'best', 'seed-study']);
    store.annotations.setNote(id, 'first');
    store.annotations.setNote(id, 'the one to retrain');
    expect(store.runs.summary(id)).toMatchObject({ tags: ['best', 'seed-study'], note: 'the one to retrain' });
    expect(store.runs.list({ search: 'retrain' }).map((r) => r.id)).toEqual([id]);
    expect(store.runs.list({ tag: 'seed-study' }).map((r) => r.id)).toEqual([id]);
    store.annotations.setNote(id, '  ');
    store.annotations.setTags(id, []);
    expect(store.runs.summary(id)).toMatchObject({ tags: [], note: null });
    expect(() => store.annotations.setTags(99_999, ['x'])).toThrow(/FOREIGN KEY/);
  });
});

describe('a retrain: evaluation and lineage', () => {
  it('stores the result event’s evaluation, reports the test accuracy as such, and links parent and child', () => {
    const tmp = tempDataDir();
    const store = Store.open(tmp.dbPath);
    try {
      const search = store.runs.create(searchConfig(), { id: null, name: 'demo' });
      const retrain = store.runs.create(searchConfig({ name: 'retrain of the winner' }), { id: null, name: 'demo' }, { kind: 'retrain', parentId: search });
      store.metrics.appendBatch(retrain, [{ name: 'val_acc', step: 1, epoch: 1, value: 0.7 }]);
      expect(store.runs.summary(retrain)).toMatchObject({ accuracy: 0.7, accuracyMeasure: 'retrain-val', testAccuracy: null });
      const evaluation = { testAccuracy: 0.83, params: 12_345, flops: 6_789_000, latencyMs: 1.5, latencyBackend: 'wasm', exportDir: '/tmp/model' };
      store.ingest(retrain, [{ type: 'result', arch: 'x', genotype: null, nb201: null, trainAccuracy: 0.9, valAccuracy: 0.8, seconds: 3, evaluation }]);
      const detail = store.runs.get(retrain)!;
      expect(detail.evaluation).toEqual(evaluation);
      expect(detail).toMatchObject({ parentId: search, testAccuracy: 0.83, accuracy: 0.83, accuracyMeasure: 'test', bestAccuracy: 0.8 });
      expect(store.runs.get(search)!.children).toEqual([{ id: retrain, kind: 'retrain', name: 'retrain of the winner', status: 'queued' }]);
      // Different measures never interleave in an accuracy sort.
      expect(store.runs.list({ sort: 'bestAccuracy' }).map((r) => r.accuracyMeasure)).toEqual(['test', 'search-val']);
    } finally {
      store.close();
      tmp.dispose();
    }
  });
});
