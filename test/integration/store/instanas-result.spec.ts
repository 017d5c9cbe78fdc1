import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunDetailSchema } from '../../../src/shared/api';
import { MIGRATIONS } from '../../../src/main/store/migrations/index';
import { openDatabase } from '../../../src/main/store/open-database';
import { Store } from '../../../src/main/store/store';
import type { TrainerEvent } from '../../../src/shared/events';
import { instanasResultFixture } from '../../support/instanas-result';
import { searchConfig, tempDataDir } from './helpers';
import { dumpTables, fillRun, insertDataset, insertRun } from './raw-history';

// An InstaNAS run's result goes into runs.result_details (migration 7) with the result event, comes back on
// runs.get as `instanas`, validated by its schema, and its test accuracy becomes the run's headline accuracy.

function resultEvent(extra: Record<string, unknown>): TrainerEvent {
  return { type: 'result', genotype: null, arch: null, nb201: null, trainAccuracy: 0.8, valAccuracy: 0.7, seconds: 3, ...extra } as TrainerEvent;
}

describe('InstaNAS result in the store', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  beforeEach(() => {
    tmp = tempDataDir();
  });
  afterEach(() => tmp.dispose());

  it('migration 7 adds result_details and keeps every value of a version-6 history', () => {
    const v6 = openDatabase(tmp.dbPath, { migrations: MIGRATIONS.slice(0, 6) });
    const run = insertRun(v6, { datasetId: insertDataset(v6) });
    fillRun(v6, run);
    const before = dumpTables(v6);
    v6.close();
    const db = openDatabase(tmp.dbPath, { migrations: MIGRATIONS.slice(0, 7) });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(7);
      const after = dumpTables(db);
      const runs = after.runs as Record<string, unknown>[];
      expect(runs.map((r) => r.result_details)).toEqual([null]);
      expect(runs.map(({ result_details: _, ...rest }) => rest)).toEqual(before.runs);
      expect({ ...after, runs: null }).toEqual({ ...before, runs: null });
      // Only JSON goes in.
      expect(() => db.prepare("UPDATE runs SET result_details = 'not json' WHERE id = ?").run(run)).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });

  it('stores the result event’s InstaNAS part and reads it back through the schema', () => {
    const store = Store.open(tmp.dbPath);
    try {
      const id = store.runs.create(searchConfig(), { id: null, name: 'demo' });
      const result = instanasResultFixture();
      store.ingest(id, [resultEvent({ instanas: result })]);
      const detail = store.runs.get(id)!;
      expect(RunDetailSchema.parse(detail)).toEqual(detail);
      expect(detail.instanas).toEqual(result);
      // The policies' test accuracy is what the run measured: it heads the runs list, as a test accuracy.
      expect(detail).toMatchObject({ testAccuracy: result.testAccuracy, accuracy: result.testAccuracy, accuracyMeasure: 'test' });
      expect(store.runs.list({}).find((r) => r.id === id)).toMatchObject({ testAccuracy: result.testAccuracy, accuracyMeasure: 'test' });

      // Any other run: no details, and a retrain's evaluation still gives the test accuracy.
      const other = store.runs.create(searchConfig(), { id: null, name: 'demo' });
      store.ingest(other, [resultEvent({ evaluation: { testAccuracy: 0.6, params: 10, flops: 20, latencyMs: null, latencyBackend: null, exportDir: null } })]);
      expect(store.runs.get(other)).toMatchObject({ instanas: null, testAccuracy: 0.6 });
      expect(store.db.prepare('SELECT result_details FROM runs WHERE id = ?').pluck().get(other)).toBeNull();
    } finally {
      store.close();
    }
  });

  it('a stored result that no longer fits the schema reads as none instead of breaking the run', () => {
    const store = Store.open(tmp.dbPath);
    try {
      const id = store.runs.create(searchConfig(), { id: null, name: 'demo' });
      store.db.prepare('UPDATE runs SET result_details = ? WHERE id = ?').run(JSON.stringify({ instanas: { latency: 'old shape' } }), id);
      const detail = store.runs.get(id)!;
      expect(detail.instanas).toBeNull();
      expect(RunDetailSchema.parse(detail)).toEqual(detail);
    } finally {
      store.close();
    }
  });
});
