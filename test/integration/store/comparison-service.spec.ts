import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channels } from '../../../src/shared/api';
import { parseSearchConfig } from '../../../src/shared/config';
import { Store } from '../../../src/main/store/store';
import { ComparisonService, settledAt } from '../../../src/main/services/comparison-service';
import { tempDataDir } from './helpers';

// runs.compare on a real SQLite file: min/max buckets keep every spike, snapshots give the latest weights and
// each edge's settled epoch, and a missing run is named.

describe('ComparisonService', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: Store;
  let service: ComparisonService;
  beforeEach(() => {
    tmp = tempDataDir();
    store = Store.open(tmp.dbPath);
    service = new ComparisonService(store);
  });
  afterEach(() => {
    store.close();
    tmp.dispose();
  });

  const newRun = (strategy: string, space = 'nb201') =>
    store.runs.create(parseSearchConfig({ dataset: 'demo', space: { name: space }, strategy: { name: strategy } }), { id: null, name: 'demo' });

  it('keeps each bucket’s min and max point, the first and the last, in step order', () => {
    const id = newRun('darts');
    // A smooth series with one spike up and one dip down: every-k-th thinning would usually miss both.
    const n = 10_000;
    const values = Array.from({ length: n }, (_, i) => Math.sin(i / 500));
    values[4321] = 50;
    values[7777] = -50;
    store.metrics.appendBatch(id, values.map((value, i) => ({ name: 'train_loss', step: i, epoch: Math.floor(i / 1000), value })));
    store.metrics.appendBatch(id, [{ name: 'val_acc', step: 0, epoch: 0, value: 0.5 }]);

    const series = service.series(id, 100);
    const pts = series.train_loss;
    expect(pts.length).toBeLessThanOrEqual(2 * 100 + 1);
    expect(pts.length).toBeGreaterThan(100);
    expect(pts.map((p) => p[0])).toEqual([...pts.map((p) => p[0])].sort((a, b) => a - b));
    expect(new Set(pts.map((p) => p[0])).size).toBe(pts.length);
    expect(pts).toContainEqual([4321, 4, 50]);
    expect(pts).toContainEqual([7777, 7, -50]);
    expect(pts[0]).toEqual([0, 0, values[0]]);
    expect(pts[pts.length - 1]).toEqual([n - 1, 9, values[n - 1]]);
    // Each kept point is a stored point, and each bucket of n/100 rows is represented by its extremes.
    for (const [step, , v] of pts) expect(v).toBe(values[step]);
    for (let b = 0; b < 100; b++) {
      const slice = values.slice(b * 100, (b + 1) * 100);
      const inBucket = pts.filter(([s]) => s >= b * 100 && s < (b + 1) * 100).map((p) => p[2]);
      expect(inBucket).toContain(Math.max(...slice));
      expect(inBucket).toContain(Math.min(...slice));
    }
    // Short series come whole; a metric filter leaves the others out.
    expect(series.val_acc).toEqual([[0, 0, 0.5]]);
    expect(Object.keys(service.series(id, 100, new Set(['val_acc'])))).toEqual(['val_acc']);
  });

  it('returns the latest α snapshot and the epoch each edge’s leading op settled', () => {
    const id = newRun('darts');
    const ops = ['none', 'skip_connect', 'nor_conv_3x3', 'nor_conv_1x1', 'avg_pool_3x3'];
    const row = (lead: number) => ops.map((_, k) => (k === lead ? 0.6 : 0.1));
    // Edge 0 leads with op 2 from epoch 0; edge 1 changes at epoch 2; edge 2 is led by 'none' (kept in nb201).
    const cells = (e1: number) => ({ cell: [row(2), row(e1), row(0), row(1), row(1), row(1)] });
    store.snapshots.add(id, 0, 'alpha', { ops, cells: cells(1) });
    store.snapshots.add(id, 1, 'alpha', { ops, cells: cells(3) });
    store.snapshots.add(id, 2, 'alpha', { ops, cells: cells(4) });
    store.snapshots.add(id, 3, 'alpha', { ops, cells: cells(4) });
    const { runs } = service.compare([id]);
    const arch = runs[0].architecture!;
    expect(arch).toMatchObject({ kind: 'alpha', epoch: 3, ops, snapshots: 4 });
    expect(arch.cells.cell[1]).toEqual(row(4));
    expect(arch.settledEpoch.cell).toEqual([0, 2, 0, 0, 0, 0]);
    // The result passes the channel's own schema.
    expect(() => channels['runs.compare'].result.parse({ runs })).not.toThrow();
  });

  it('reads MdeNAS probabilities, none for strategies without weights, and names a missing run', () => {
    const md = newRun('mdenas');
    const rnd = newRun('random');
    store.snapshots.add(md, 0, 'probabilities', { ops: ['a', 'b'], cells: { cell: [[0.7, 0.3]] } });
    const { runs } = service.compare([md, rnd]);
    expect(runs.map((r) => r.detail.id)).toEqual([md, rnd]);
    expect(runs[0].architecture).toMatchObject({ kind: 'probabilities', settledEpoch: { cell: [0] } });
    expect(runs[1].architecture).toBeNull();
    expect(() => service.compare([md, 999])).toThrow(/There is no run 999 to compare/);
  });

  it('settledAt skips none where the space does not keep it', () => {
    const h = [
      { epoch: 0, row: [0.9, 0.05, 0.05] },
      { epoch: 1, row: [0.9, 0.02, 0.08] },
    ];
    expect(settledAt(h, -1)).toBe(0);
    expect(settledAt(h, 0)).toBe(1);
    expect(settledAt([], -1)).toBeNull();
  });
});
