import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/main/store/migrations/index';
import { openDatabase, type SqliteDatabase } from '../../../src/main/store/open-database';
import { Store } from '../../../src/main/store/store';
import { parseSearchConfig } from '../../../src/shared/config';
import { tempDataDir } from './helpers';
import { dumpTables, fillRun, insertDataset, insertRun } from './raw-history';

// Run numbers are never reused (migration 3: runs with AUTOINCREMENT), and the migration keeps every row of a
// history made by the version-2 schema, with every reference to a run still pointing at the same run.

const V2 = MIGRATIONS.slice(0, 2);
const V3 = MIGRATIONS.slice(0, 3);
const count = (db: SqliteDatabase, sql: string, ...args: unknown[]) => db.prepare(sql).pluck().get(...args) as number;

describe('run ids', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  beforeEach(() => {
    tmp = tempDataDir();
  });
  afterEach(() => tmp.dispose());

  it("gives a deleted run's number to no later run, also after a restart", () => {
    let store = Store.open(tmp.dbPath);
    const create = () => store.runs.create(parseSearchConfig({ dataset: 'Fashion-MNIST' }), { id: null, name: 'demo' });
    try {
      expect([create(), create(), create(), create()]).toEqual([1, 2, 3, 4]);
      expect(store.runs.delete(4)).toBe(true);
      expect(create()).toBe(5);
      expect(store.runs.delete(5)).toBe(true);
    } finally {
      store.close();
    }
    store = Store.open(tmp.dbPath);
    try {
      expect(create()).toBe(6);
    } finally {
      store.close();
    }
  });

  it('migrates a version-2 history with every row and reference intact', () => {
    const v2 = openDatabase(tmp.dbPath, { migrations: V2 });
    const datasetId = insertDataset(v2);
    const ids = [1, 2, 3, 4, 5].map((i) => insertRun(v2, { name: `run ${i}`, datasetId, createdAt: 900 + i }));
    v2.prepare('UPDATE runs SET parent_id = 1 WHERE id IN (2, 4)').run(); // retrains of search #1
    v2.prepare("UPDATE runs SET status = 'paused', active_ms = 1234, running_since = NULL, last_checkpoint_epoch = 2 WHERE id = 4").run();
    for (const id of ids) fillRun(v2, id);
    v2.prepare('DELETE FROM runs WHERE id IN (3, 5)').run(); // a gap, and a deleted newest run
    const before = dumpTables(v2);
    v2.close();

    const v3 = openDatabase(tmp.dbPath, { migrations: V3 });
    try {
      expect(v3.pragma('user_version', { simple: true })).toBe(3);
      expect(dumpTables(v3)).toEqual(before);
      expect(before.runs!.length).toBe(3);
      expect(before.metrics!.length).toBe(150);

      const runsSql = v3.prepare("SELECT sql FROM sqlite_schema WHERE name = 'runs'").pluck().get() as string;
      expect(runsSql).toMatch(/id\s+INTEGER PRIMARY KEY AUTOINCREMENT/);
      const indexes = v3.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'runs' ORDER BY name").pluck().all();
      expect(indexes).toEqual(['runs_created_at', 'runs_dataset_id', 'runs_parent_id', 'runs_status_created_at']);
      expect(v3.pragma('foreign_key_check')).toEqual([]);
      expect(v3.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(v3.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(count(v3, "SELECT seq FROM sqlite_sequence WHERE name = 'runs'")).toBe(4);

      // The references resolve to the rebuilt table: deleting search #1 cascades to its rows and unlinks its retrains.
      v3.prepare('DELETE FROM runs WHERE id = 1').run();
      for (const table of ['metrics', 'logs', 'snapshots', 'decisions', 'artifacts', 'notes', 'tags']) {
        expect(count(v3, `SELECT count(*) FROM ${table} WHERE run_id = 1`), table).toBe(0);
        expect(count(v3, `SELECT count(*) FROM ${table} WHERE run_id = 2`), table).toBeGreaterThan(0);
      }
      expect(count(v3, 'SELECT count(*) FROM runs WHERE parent_id IS NOT NULL')).toBe(0);

      // Numbers go on from the highest one the history still shows, and a deleted one is not reused.
      expect(insertRun(v3)).toBe(5);
      v3.prepare('DELETE FROM runs WHERE id = 5').run();
      expect(insertRun(v3)).toBe(6);
    } finally {
      v3.close();
    }
  });

  it('migrates an empty history: the first run is #1', () => {
    openDatabase(tmp.dbPath, { migrations: V2 }).close();
    const v3 = openDatabase(tmp.dbPath, { migrations: V3 });
    try {
      expect(insertRun(v3)).toBe(1);
    } finally {
      v3.close();
    }
  });
});
