import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from '../../../src/main/store/migrations/index';
import { NewerSchemaError, NotANasStudioDatabaseError, openDatabase } from '../../../src/main/store/open-database';
import { DamagedDatabaseError } from '../../../src/main/store/storage-errors';
import { Store } from '../../../src/main/store/store';
import { tempDataDir } from './helpers';

const TABLES = ['artifacts', 'datasets', 'decisions', 'dispatch_cursors', 'eigenvalues', 'logs', 'metrics', 'notes', 'run_attempts', 'runs', 'snapshots', 'tags'];

function tableNames(db: Database.Database): string[] {
  return db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
}

describe('openDatabase and migrations', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  beforeEach(() => {
    tmp = tempDataDir();
  });
  afterEach(() => tmp.dispose());

  it('numbers migrations 1..N in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('creates the folders, every table and the schema version on an empty folder', () => {
    const db = openDatabase(tmp.dbPath);
    try {
      expect(existsSync(tmp.dbPath)).toBe(true);
      expect(tableNames(db)).toEqual(TABLES);
      expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
      const indexes = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'runs'").pluck().all();
      expect(indexes).toEqual(expect.arrayContaining(['runs_created_at', 'runs_status_created_at']));
    } finally {
      db.close();
    }
  });

  it('re-opens an up-to-date database without changing it', () => {
    openDatabase(tmp.dbPath).close();
    const db = openDatabase(tmp.dbPath);
    try {
      expect(tableNames(db)).toEqual(TABLES);
      expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it('applies only the pending migrations, each with its version bump', () => {
    openDatabase(tmp.dbPath).close();
    const next: Migration = { version: MIGRATIONS.length + 1, name: 'next', sql: 'CREATE TABLE extra (x INTEGER);' };
    const db = openDatabase(tmp.dbPath, { migrations: [...MIGRATIONS, next] });
    try {
      expect(tableNames(db)).toContain('extra');
      expect(db.pragma('user_version', { simple: true })).toBe(next.version);
    } finally {
      db.close();
    }
  });

  it('rolls a failing migration back together with its version bump', () => {
    openDatabase(tmp.dbPath).close();
    const broken: Migration = {
      version: MIGRATIONS.length + 1,
      name: 'broken',
      sql: 'CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);',
    };
    expect(() => openDatabase(tmp.dbPath, { migrations: [...MIGRATIONS, broken] })).toThrow(/no such table/);
    const db = openDatabase(tmp.dbPath);
    try {
      expect(tableNames(db)).not.toContain('half_done');
      expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it('refuses a database written by a newer app and leaves the file byte for byte unchanged', () => {
    openDatabase(tmp.dbPath).close();
    const raw = new Database(tmp.dbPath);
    raw.pragma('journal_mode = DELETE'); // fold the WAL in, so the main file is the whole database
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    raw.close();
    const before = readFileSync(tmp.dbPath);

    let caught: unknown;
    try {
      openDatabase(tmp.dbPath);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NewerSchemaError);
    const message = (caught as Error).message;
    expect(message).toContain(`The database at ${tmp.dbPath} was written by a newer NAS Studio`);
    expect(message).toContain(`schema v${LATEST_SCHEMA_VERSION + 1}, this app understands up to v${LATEST_SCHEMA_VERSION}`);
    expect(message).toMatch(/Update NAS Studio, or choose another data folder with --data-dir/);
    expect(readFileSync(tmp.dbPath).equals(before)).toBe(true);
    expect(existsSync(`${tmp.dbPath}-wal`)).toBe(false);
  });

  it('refuses a file that is not a SQLite database, naming it, and leaves it alone', () => {
    mkdirSync(dirname(tmp.dbPath), { recursive: true });
    writeFileSync(tmp.dbPath, 'runs,status\n1,completed\n'.repeat(100));
    const before = readFileSync(tmp.dbPath);
    expect(() => openDatabase(tmp.dbPath)).toThrow(NotANasStudioDatabaseError);
    expect(() => openDatabase(tmp.dbPath)).toThrow(
      `The file ${tmp.dbPath} is not a NAS Studio database (it is not a SQLite database)`,
    );
    expect(readFileSync(tmp.dbPath).equals(before)).toBe(true);
  });

  it("refuses another program's SQLite database instead of migrating into it", () => {
    mkdirSync(dirname(tmp.dbPath), { recursive: true });
    const raw = new Database(tmp.dbPath);
    raw.exec('CREATE TABLE runs (something_else TEXT)');
    raw.close();
    expect(() => openDatabase(tmp.dbPath)).toThrow(/is not a NAS Studio database \(it is a SQLite database with other tables/);
  });

  it('refuses an empty file instead of taking it for an empty history (see integrity.spec.ts)', () => {
    mkdirSync(dirname(tmp.dbPath), { recursive: true });
    writeFileSync(tmp.dbPath, '');
    expect(() => openDatabase(tmp.dbPath)).toThrow(DamagedDatabaseError);
  });
});

describe('upgrading a version-1 history', () => {
  it('adds training time to existing runs and keeps everything else', () => {
    const tmp = tempDataDir();
    try {
      // Written with SQL of the version-1 schema: today's repositories need version-2 columns.
      const v1 = openDatabase(tmp.dbPath, { migrations: MIGRATIONS.slice(0, 1) });
      const id = Number(
        v1.prepare(
          `INSERT INTO runs (kind, name, status, config, seed, dataset_name, strategy, space, created_at, started_at, finished_at)
           VALUES ('search', 'old run', 'completed', ?, 0, 'demo', 'darts', 'nb201', 900, 1000, 4500)`,
        ).run(JSON.stringify({ dataset: 'Fashion-MNIST', epochs: 3 })).lastInsertRowid,
      );
      v1.close();

      const v2 = Store.open(tmp.dbPath);
      try {
        expect(v2.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
        const run = v2.runs.summary(id)!;
        expect(run.status).toBe('completed');
        expect(run.activeMs).toBe(3500);
        expect(run.runningSince).toBeNull();
      } finally {
        v2.close();
      }
    } finally {
      tmp.dispose();
    }
  });
});
