import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunDetailSchema } from '../../../src/shared/api';
import { MIGRATIONS } from '../../../src/main/store/migrations/index';
import { openDatabase, type SqliteDatabase } from '../../../src/main/store/open-database';
import { Store } from '../../../src/main/store/store';
import { searchConfig, tempDataDir } from './helpers';
import { dumpTables, fillRun, insertDataset } from './raw-history';

// Migration 5 rebuilds `runs` so that its kind CHECK accepts 'dry-run', and adds the `summary` column. The
// history is written with plain SQL of the version-4 schema (migrations 1–4), configs in that schema's shape.

const V4 = MIGRATIONS.slice(0, 4);
const V5 = MIGRATIONS.slice(0, 5);
const count = (db: SqliteDatabase, sql: string, ...args: unknown[]) => db.prepare(sql).pluck().get(...args) as number;

/** A run row of the version-4 schema, every column set (collapse_warning came with migration 4). */
function insertV4Run(db: SqliteDatabase, o: { name: string; datasetId: number | null; config: unknown; kind?: string }): number {
  return Number(
    db
      .prepare(
        `INSERT INTO runs (kind, name, status, config, seed, dataset_id, dataset_name, strategy, space, created_at,
                           started_at, finished_at, error, environment, best_accuracy, progress, arch, genotype, nb201,
                           last_checkpoint_epoch, active_ms, running_since, collapse_warning)
         VALUES (?, ?, 'completed', ?, 7, ?, 'Fashion-MNIST', 'darts', 'nb201', 900, 1000, 4500, NULL,
                 '{"appVersion":"0.4.0","backend":"wasm","device":"CPU","fallbackReason":null}', 0.81, 1, '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|nor_conv_3x3~2|',
                 '{"normal":[["nor_conv_3x3",0]]}', '{"arch":"x","index":1,"cifar10":93.1,"cifar100":70.2,"imagenet16":44.5,"rank":40,"percentile":99.7,"gapToOptimum":1.2}',
                 2, 3500, NULL, 'λ_max rose 60 % in 3 epochs')`,
      )
      .run(o.kind ?? 'search', o.name, JSON.stringify(o.config), o.datasetId).lastInsertRowid,
  );
}

describe('migration 5 (dry runs)', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  beforeEach(() => {
    tmp = tempDataDir();
  });
  afterEach(() => tmp.dispose());

  it('keeps every row and reference of a version-4 history, and numbers go on from the highest ever used', () => {
    const v4 = openDatabase(tmp.dbPath, { migrations: V4 });
    const datasetId = insertDataset(v4);
    const config = searchConfig({ dataset: String(datasetId), name: 'old search' });
    const ids = [1, 2, 3, 4].map((i) => insertV4Run(v4, { name: `run ${i}`, datasetId, config, kind: i === 2 ? 'retrain' : 'search' }));
    v4.prepare('UPDATE runs SET parent_id = 1 WHERE id = 2').run();
    for (const id of ids) fillRun(v4, id);
    v4.prepare('INSERT INTO eigenvalues (run_id, wall_epoch, epoch, lambda_max, local_average, iterations) VALUES (1, 0, 0, 0.4, NULL, 20)').run();
    v4.prepare('DELETE FROM runs WHERE id = 4').run(); // the newest number was used: it must not come back
    const before = dumpTables(v4);
    v4.close();

    const v5 = openDatabase(tmp.dbPath, { migrations: V5 });
    try {
      expect(v5.pragma('user_version', { simple: true })).toBe(5);
      const after = dumpTables(v5);
      // Every row as it was; runs gained an empty summary, nothing else.
      expect(after.runs).toEqual(before.runs!.map((r) => ({ ...(r as object), summary: null })));
      expect({ ...after, runs: null }).toEqual({ ...before, runs: null });
      expect(before.runs!.length).toBe(3);

      const indexes = v5.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'runs' ORDER BY name").pluck().all();
      expect(indexes).toEqual(['runs_created_at', 'runs_dataset_id', 'runs_parent_id', 'runs_status_created_at']);
      expect(v5.pragma('foreign_key_check')).toEqual([]);
      expect(v5.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(v5.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(count(v5, "SELECT count(*) FROM sqlite_sequence WHERE name = 'runs_new'")).toBe(0);
      expect(count(v5, "SELECT seq FROM sqlite_sequence WHERE name = 'runs'")).toBe(4);

      // The references resolve to the rebuilt table: deleting #1 cascades to its rows and unlinks its retrain.
      v5.prepare('DELETE FROM runs WHERE id = 1').run();
      for (const table of ['metrics', 'logs', 'snapshots', 'decisions', 'artifacts', 'notes', 'tags', 'eigenvalues']) {
        expect(count(v5, `SELECT count(*) FROM ${table} WHERE run_id = 1`), table).toBe(0);
      }
      for (const table of ['metrics', 'logs', 'snapshots', 'decisions', 'artifacts', 'notes', 'tags']) {
        expect(count(v5, `SELECT count(*) FROM ${table} WHERE run_id = 2`), table).toBeGreaterThan(0);
      }
      expect(count(v5, 'SELECT parent_id IS NULL FROM runs WHERE id = 2')).toBe(1);
      expect(insertV4Run(v5, { name: 'next', datasetId, config })).toBe(5);
    } finally {
      v5.close();
    }
  });

  it("accepts kind 'dry-run' and a JSON summary, and still refuses an unknown kind or broken JSON", () => {
    openDatabase(tmp.dbPath, { migrations: V4 }).close();
    const db = openDatabase(tmp.dbPath, { migrations: V5 });
    try {
      const config = searchConfig();
      const id = insertV4Run(db, { name: 'dry', datasetId: null, config, kind: 'dry-run' });
      db.prepare(`UPDATE runs SET summary = '{"evaluations":50}' WHERE id = ?`).run(id);
      expect(() => insertV4Run(db, { name: 'bad', datasetId: null, config, kind: 'sweep' })).toThrow(/CHECK constraint failed/);
      expect(() => db.prepare(`UPDATE runs SET summary = '{oops' WHERE id = ?`).run(id)).toThrow(/CHECK constraint failed/);
    } finally {
      db.close();
    }
  });

  it('old runs open, list and clone through the app after the upgrade', () => {
    const v4 = openDatabase(tmp.dbPath, { migrations: V4 });
    const datasetId = insertDataset(v4);
    const config = searchConfig({ dataset: String(datasetId), name: 'old search', seed: 7 });
    const id = insertV4Run(v4, { name: 'old search', datasetId, config });
    v4.close();

    const store = Store.open(tmp.dbPath);
    try {
      const detail = store.runs.get(id)!;
      expect(RunDetailSchema.parse(detail)).toEqual(detail);
      expect(detail).toMatchObject({ kind: 'search', name: 'old search', summary: null, collapseWarning: 'λ_max rose 60 % in 3 epochs', activeMs: 3500 });
      expect(detail.nb201).toMatchObject({ cifar10: 93.1, rank: 40 });
      expect(detail.config).toEqual(config);
      expect(store.runs.list().map((r) => [r.id, r.kind, r.name])).toEqual([[id, 'search', 'old search']]);
      const clone = store.runs.create(detail.config, { id: datasetId, name: 'Fashion-MNIST' });
      expect(store.runs.get(clone)).toMatchObject({ kind: 'search', config, status: 'queued' });
    } finally {
      store.close();
    }
  });
});
