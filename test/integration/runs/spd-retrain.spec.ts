import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SPD_NORMAL_OPS, SPD_REDUCED_OPS } from '../../../src/shared/spaces/spd';
import { makeTempDir } from '../../support/nas-server';
import { metricRows, openDb, openHarness, type Harness } from './harness';

// Retrain of an SPDNetNAS search through the real composition root, SQLite store, run manager and forked
// trainer, on the built-in synthetic SPD set: the search's cell and the SPDNet baseline each become a retrain
// run linked to the search, trained from scratch and tested on the set's test split, with the evaluation an
// image retrain reports (test accuracy, parameters, multiply-adds, latency). A paused and resumed retrain ends
// exactly where an uninterrupted one does.

const SPD_OPS = new Set<string>([...SPD_NORMAL_OPS, ...SPD_REDUCED_OPS]);

describe('runs.retrain of an SPD search', () => {
  const tmp = makeTempDir('nas-runs-spd-retrain-');
  let h: Harness;
  let searchId: number;
  let search: any;
  beforeAll(async () => {
    h = openHarness(tmp.dir);
    const datasetId = (await h.call<{ id: number }>('datasets.importBuiltin', { which: 'spd-synthetic' })).id;
    const config = { name: 'spd search', dataset: String(datasetId), trainLimit: 60, batchSize: 10, seed: 1, backend: 'wasm', space: { name: 'spd' }, strategy: { name: 'spdnas', epochs: 1 } };
    searchId = (await h.call<{ id: number }>('runs.create', { config })).id;
    search = await h.waitStatus(searchId, 'completed', 300_000);
  }, 320_000);
  afterAll(async () => {
    await h?.close();
    tmp.dispose();
  });

  const overrides = (network: 'architecture' | 'spdnet') => ({ trainLimit: 90, batchSize: 15, strategy: { epochs: 3, network } });

  test('the searched cell and the SPDNet baseline train on the same set, each with its evaluation', async () => {
    expect([...search.genotype.normal, ...search.genotype.reduce].every(([op]: [string]) => SPD_OPS.has(op))).toBe(true);
    const cellId = (await h.call<{ id: number }>('runs.retrain', { id: searchId, overrides: overrides('architecture') })).id;
    const baseId = (await h.call<{ id: number }>('runs.retrain', { id: searchId, overrides: overrides('spdnet') })).id;
    const cell = await h.waitStatus(cellId, 'completed', 300_000);
    const base = await h.waitStatus(baseId, 'completed', 300_000);
    for (const r of [cell, base]) {
      expect(r).toMatchObject({ kind: 'retrain', parentId: searchId, strategy: 'retrain' });
      expect(r.config.dataset).toBe(search.config.dataset);
      expect(r.evaluation.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(r.evaluation.testAccuracy).toBeLessThanOrEqual(1);
      expect(r.evaluation.params).toBeGreaterThan(0);
      expect(r.evaluation.flops).toBeGreaterThan(0);
      expect(r.evaluation.latencyMs).toBeGreaterThan(0);
      expect(r.evaluation.exportDir).toBeNull();
    }
    // The cell's run keeps the searched genotype; the baseline's says which network it is.
    expect(cell.genotype).toEqual(search.genotype);
    expect(base.genotype).toBeNull();
    expect(base.arch).toMatch(/^SPDNet 20→16→8$/);
    expect(base.name).toBe(`SPDNet baseline for #${searchId} (spd search)`);
    expect(cell.name).toBe(`Retrain of #${searchId} (spd search)`);
    // SPDNet on 20×20 matrices, 3 classes: BiMaps 20×16 and 16×8, classifier 64 × 3 + 3.
    expect(base.evaluation.params).toBe(20 * 16 + 16 * 8 + 64 * 3 + 3);
    expect(cell.evaluation.params).not.toBe(base.evaluation.params);
    // The synthetic classes differ by their spectra: the baseline learns them well above chance (1/3).
    expect(base.evaluation.testAccuracy).toBeGreaterThan(0.5);
    const db = openDb(tmp.dir);
    try {
      for (const r of [cell, base]) {
        const testAcc = metricRows(db, r.id, 'test_acc');
        expect(testAcc.map((m) => m.epoch)).toEqual([0, 1, 2]);
        expect(testAcc.at(-1)!.value).toBeCloseTo(r.evaluation.testAccuracy, 6);
        expect(metricRows(db, r.id, 'train_loss').length).toBe(3 * 6);
      }
    } finally {
      db.close();
    }
    const parent = await h.call<any>('runs.get', { id: searchId });
    expect(parent.children.map((c: { id: number }) => c.id).sort()).toEqual([cellId, baseId].sort());
  }, 600_000);

  test('a paused SPD retrain resumes to the same weights as an uninterrupted one', async () => {
    const straightId = (await h.call<{ id: number }>('runs.retrain', { id: searchId, overrides: overrides('architecture') })).id;
    const straight = await h.waitStatus(straightId, 'completed', 300_000);
    const id = (await h.call<{ id: number }>('runs.retrain', { id: searchId, overrides: overrides('architecture') })).id;
    await h.waitEvent(id, (e) => e.type === 'metrics' && e.epoch === 1 && 'train_loss' in e.values, 'a step of epoch 2');
    await h.call('runs.pause', { id });
    await h.waitStatus(id, 'paused');
    await h.call('runs.resume', { id });
    const resumed = await h.waitStatus(id, 'completed', 300_000);
    const db = openDb(tmp.dir);
    try {
      const series = (runId: number, name: string) => metricRows(db, runId, name).map((m) => [m.step, m.value]);
      expect(series(id, 'epoch_train_loss')).toEqual(series(straightId, 'epoch_train_loss'));
      expect(series(id, 'test_acc')).toEqual(series(straightId, 'test_acc'));
    } finally {
      db.close();
    }
    expect(resumed.evaluation.testAccuracy).toBe(straight.evaluation.testAccuracy);
  }, 600_000);
});
