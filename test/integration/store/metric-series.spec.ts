import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricSeriesSchema } from '../../../src/shared/api';
import type { MetricPoint } from '../../../src/main/store/metric-repository';
import { Store } from '../../../src/main/store/store';
import { searchConfig, tempDataDir } from './helpers';

function points(name: string, n: number, value: (i: number) => number = (i) => i): MetricPoint[] {
  return Array.from({ length: n }, (_, i) => ({ name, step: i * 5, epoch: Math.floor(i / 10), value: value(i) }));
}

describe('MetricRepository', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: Store;
  let runId: number;
  beforeEach(() => {
    tmp = tempDataDir();
    store = Store.open(tmp.dbPath);
    runId = store.runs.create(searchConfig(), { id: null, name: 'd' });
  });
  afterEach(() => {
    store.close();
    tmp.dispose();
  });

  it('returns every point per name, ordered by step, in the MetricSeries shape', () => {
    store.metrics.appendBatch(runId, [...points('train_loss', 30).reverse(), ...points('val_acc', 3, (i) => i / 10)]);
    const series = store.metrics.series(runId);
    expect(MetricSeriesSchema.parse(series)).toEqual(series);
    expect(Object.keys(series).sort()).toEqual(['train_loss', 'val_acc']);
    expect(series.train_loss).toHaveLength(30);
    expect(series.train_loss![0]).toEqual([0, 0, 0]);
    expect(series.train_loss!.map(([step]) => step)).toEqual(points('train_loss', 30).map((p) => p.step));
    expect(series.val_acc).toEqual([
      [0, 0, 0],
      [5, 0, 0.1],
      [10, 0, 0.2],
    ]);
  });

  it.each([
    [1000, 10],
    [1001, 10],
    [999, 100],
    [100, 100],
    [101, 100],
    [12345, 500],
    [11, 10],
    [2, 10],
  ])('downsamples %i points to at most %i, keeping the first and the last', (n, maxPoints) => {
    store.metrics.appendBatch(runId, points('train_loss', n));
    const s = store.metrics.series(runId, maxPoints).train_loss!;
    expect(s.length).toBeLessThanOrEqual(maxPoints);
    expect(s.length).toBeGreaterThanOrEqual(Math.min(n, Math.floor(maxPoints / 2)));
    expect(s[0]![2]).toBe(0);
    expect(s[s.length - 1]![2]).toBe(n - 1); // the current value is always shown
    const values = s.map(([, , v]) => v);
    expect(values).toEqual([...values].sort((a, b) => a - b)); // still in step order, no duplicates
    expect(new Set(values).size).toBe(values.length);
    if (n <= maxPoints) expect(s).toHaveLength(n);
    else {
      // evenly spaced: every k-th point plus the last
      const k = values[1]! - values[0]!;
      values.slice(0, -1).forEach((v, i) => expect(v).toBe(i * k));
    }
  });

  it('downsamples each name on its own', () => {
    store.metrics.appendBatch(runId, [...points('train_loss', 5000), ...points('val_acc', 50, (i) => i / 100)]);
    const s = store.metrics.series(runId, 100);
    expect(s.train_loss!.length).toBeLessThanOrEqual(100);
    expect(s.val_acc).toHaveLength(50);
  });

  it('raises bestAccuracy from val_acc points only, and never lowers it', () => {
    store.metrics.appendBatch(runId, [
      { name: 'train_acc', step: 1, epoch: 0, value: 0.99 },
      { name: 'val_acc', step: 1, epoch: 0, value: 0.4 },
      { name: 'val_acc', step: 2, epoch: 1, value: 0.7 },
    ]);
    expect(store.runs.summary(runId)!.bestAccuracy).toBe(0.7);
    store.metrics.appendBatch(runId, [{ name: 'val_acc', step: 3, epoch: 2, value: 0.5 }]);
    expect(store.runs.summary(runId)!.bestAccuracy).toBe(0.7);
  });

  it('overwrites a re-emitted step instead of duplicating it (a resumed run)', () => {
    store.metrics.appendBatch(runId, points('train_loss', 10));
    store.metrics.appendBatch(runId, [{ name: 'train_loss', step: 45, epoch: 9, value: -1 }]);
    const s = store.metrics.series(runId).train_loss!;
    expect(s).toHaveLength(10);
    expect(s[9]).toEqual([45, 9, -1]);
  });

  it('skips non-finite values, which SQLite and JSON cannot carry', () => {
    const written = store.metrics.appendBatch(runId, [
      { name: 'train_loss', step: 1, epoch: 0, value: Number.NaN },
      { name: 'train_loss', step: 2, epoch: 0, value: Number.POSITIVE_INFINITY },
      { name: 'train_loss', step: 3, epoch: 0, value: 1.5 },
    ]);
    expect(written).toBe(1);
    expect(store.metrics.series(runId)).toEqual({ train_loss: [[3, 0, 1.5]] });
  });

  it('writes a batch all or nothing', () => {
    store.metrics.appendBatch(runId, points('train_loss', 3));
    const bad = [...points('val_acc', 5), { name: null as unknown as string, step: 99, epoch: 0, value: 1 }];
    expect(() => store.metrics.appendBatch(runId, bad)).toThrow(/NOT NULL/);
    expect(store.metrics.count(runId)).toBe(3);
    expect(store.runs.summary(runId)!.bestAccuracy).toBeNull();
    expect(() => store.metrics.appendBatch(runId + 100, points('x', 2))).toThrow(/FOREIGN KEY/);
  });
});
