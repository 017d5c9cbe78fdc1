import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/main/app';
import { backupNow, listBackups } from '../../../src/main/store/backup';
import { openDatabase } from '../../../src/main/store/open-database';
import { DamagedDatabaseError, StorageNotWritableError } from '../../../src/main/store/storage-errors';
import { Store } from '../../../src/main/store/store';
import { TRAINER_JS } from '../../support/nas-server';
import { tempDataDir } from './helpers';
import { fillRun, insertDataset, insertRun } from './raw-history';
import { makeFileReadOnly, makeFolderReadOnly } from './read-only';

// Damaged and unwritable storage, on real files: each is refused at open with the path and the way out,
// and the file is left exactly as it was.


/** A history spread over many pages: 3 runs with 600 metric points and 300 log lines each. */
function writeHistory(dbPath: string): void {
  const db = openDatabase(dbPath);
  const datasetId = insertDataset(db);
  for (let r = 0; r < 3; r++) fillRun(db, insertRun(db, { datasetId }), { metrics: 600, logs: 300 });
  db.close(); // the last connection folds the WAL into the file
}

function openError(path: string): Error {
  try {
    openDatabase(path).close();
  } catch (err) {
    return err as Error;
  }
  throw new Error(`openDatabase(${path}) succeeded`);
}

/** Overwrites every page of one table's b-tree root with garbage, as a bad sector or a stray write would. */
function scribbleOverTable(dbPath: string, table: string): void {
  const raw = new Database(dbPath, { readonly: true });
  const pageSize = raw.pragma('page_size', { simple: true }) as number;
  const root = raw.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').pluck().get(table) as number;
  raw.close();
  const garbage = Buffer.alloc(pageSize, 0);
  for (let i = 0; i < pageSize; i++) garbage[i] = (i * 37 + 11) & 0xff;
  const fd = openSync(dbPath, 'r+');
  try {
    writeSync(fd, garbage, 0, pageSize, (root - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}

describe('opening damaged storage', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  beforeEach(() => {
    tmp = tempDataDir();
  });
  afterEach(() => tmp.dispose());

  it('refuses a 0-byte database instead of starting an empty history, and leaves it', () => {
    mkdirSync(dirname(tmp.dbPath), { recursive: true });
    writeFileSync(tmp.dbPath, '');
    const err = openError(tmp.dbPath);
    expect(err).toBeInstanceOf(DamagedDatabaseError);
    expect(err.message).toContain(`The database at ${tmp.dbPath} is damaged (the file is empty, 0 bytes`);
    expect(err.message).toContain('move it aside');
    expect(err.message).toContain(`There is no automatic backup in ${join(dirname(tmp.dbPath), 'backups')}`);
    expect(statSync(tmp.dbPath).size).toBe(0);
    expect(existsSync(`${tmp.dbPath}-wal`)).toBe(false);
  });

  it('refuses a truncated database with its path and the newest backup to restore', () => {
    writeHistory(tmp.dbPath);
    const db = openDatabase(tmp.dbPath);
    const backup = backupNow(db, tmp.dbPath);
    db.close();
    truncateSync(tmp.dbPath, Math.floor(statSync(tmp.dbPath).size / 2));
    const before = readFileSync(tmp.dbPath);

    const err = openError(tmp.dbPath);
    expect(err).toBeInstanceOf(DamagedDatabaseError);
    expect(err.message).toContain(`The database at ${tmp.dbPath} is damaged (`);
    expect(err.message).toContain(`move it aside (with any ${basename(tmp.dbPath)}-wal and`);
    expect(err.message).toContain(`copy the newest automatic backup, ${backup}, to ${tmp.dbPath}`);
    expect(readFileSync(tmp.dbPath).equals(before)).toBe(true);

    // The way out works: the named backup opens whole.
    const restored = new Database(backup, { readonly: true });
    expect(restored.prepare('SELECT count(*) FROM metrics').pluck().get()).toBe(1800);
    restored.close();
  });

  it('refuses a database with garbage in one table at start, not in the middle of a run later', () => {
    writeHistory(tmp.dbPath);
    scribbleOverTable(tmp.dbPath, 'logs');
    const before = readFileSync(tmp.dbPath);
    const err = openError(tmp.dbPath);
    expect(err).toBeInstanceOf(DamagedDatabaseError);
    expect(err.message).toMatch(new RegExp(`^The database at ${tmp.dbPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged \\(`));
    expect(err.message).toContain("in 'logs'"); // names the damaged table
    expect(err.message).toContain('NAS Studio did not change it');
    expect(readFileSync(tmp.dbPath).equals(before)).toBe(true);
  });

  it('refuses a read-only data folder naming the folder and the fix', (ctx) => {
    writeHistory(tmp.dbPath);
    const folder = dirname(tmp.dbPath);
    const ro = makeFolderReadOnly(folder);
    if ('unavailable' in ro) return ctx.skip(ro.unavailable);
    try {
      const err = openError(tmp.dbPath);
      expect(err).toBeInstanceOf(StorageNotWritableError);
      expect(err.message).toMatch(/^NAS Studio cannot write to its data folder /);
      expect(err.message).toContain(folder);
      expect(err.message).toContain('choose another data folder with --data-dir');
      expect(err.message).not.toMatch(/unable to open database file|ENOENT/);
    } finally {
      ro.undo();
    }
  });

  it('refuses to start the app on a read-only data folder, naming it (not ENOENT or "unable to open")', (ctx) => {
    writeHistory(tmp.dbPath);
    const folder = dirname(tmp.dbPath);
    const ro = makeFolderReadOnly(folder);
    if ('unavailable' in ro) return ctx.skip(ro.unavailable);
    try {
      expect(() => createApp({ dataDir: folder, mode: 'headless', trainerScript: TRAINER_JS })).toThrow(
        new RegExp(`^NAS Studio cannot write to its data folder ${folder} \\((read-only file system|permission denied)`),
      );
    } finally {
      ro.undo();
    }
  });

  it('refuses a new database in a read-only folder the same way', (ctx) => {
    const folder = dirname(tmp.dbPath);
    mkdirSync(folder, { recursive: true });
    const ro = makeFolderReadOnly(folder);
    if ('unavailable' in ro) return ctx.skip(ro.unavailable);
    try {
      expect(openError(tmp.dbPath).message).toContain(`NAS Studio cannot write to its data folder ${folder} (`);
    } finally {
      ro.undo();
    }
  });

  it('refuses a read-only database file naming the file', (ctx) => {
    writeHistory(tmp.dbPath);
    const ro = makeFileReadOnly(tmp.dbPath);
    if ('unavailable' in ro) return ctx.skip(ro.unavailable);
    try {
      const err = openError(tmp.dbPath);
      expect(err).toBeInstanceOf(StorageNotWritableError);
      expect(err.message).toContain(`NAS Studio cannot write to its database ${tmp.dbPath} (`);
      expect(err.message).toContain('Make the file writable');
    } finally {
      ro.undo();
    }
  });

  it('opens an intact history as before (the check does not cry wolf)', () => {
    writeHistory(tmp.dbPath);
    const store = Store.open(tmp.dbPath);
    expect(store.db.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(3);
    store.close();
    expect(listBackups(tmp.dbPath)).toEqual([]); // up to date: nothing to migrate, no backup taken by opening
  });
});

describe('Store.close', () => {
  it('does not throw when the connection cannot close (a query still in progress)', () => {
    const tmp = tempDataDir();
    const store = Store.open(tmp.dbPath);
    const pending = store.db.prepare('SELECT 1 UNION ALL SELECT 2').iterate();
    pending.next();
    expect(() => store.close()).not.toThrow();
    pending.return?.();
    store.close(); // now it closes
    expect(store.db.open).toBe(false);
    tmp.dispose();
  });
});
