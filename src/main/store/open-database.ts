import { accessSync, closeSync, constants, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { backupDirOf, backupNow, newestBackup } from './backup';
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE, restrictToOwner } from './file-modes';
import { APPLICATION_ID, MIGRATIONS, type Migration } from './migrations/index';
import {
  DamagedDatabaseError,
  NewerSchemaError,
  NotANasStudioDatabaseError,
  StorageFullError,
  StorageNotWritableError,
  errnoReason,
  isNotWritable,
} from './storage-errors';

export { NewerSchemaError, NotANasStudioDatabaseError } from './storage-errors';

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /** How long a statement waits for another connection's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** For tests of future migrations; the app always uses MIGRATIONS. */
  migrations?: readonly Migration[];
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Opens (creating the folders and the file when needed) and migrates the NAS Studio database.
 *
 * Nothing is written before the file has been checked: a foreign, newer, empty or damaged (`PRAGMA
 * quick_check`) file is refused untouched, and an unwritable folder or file is named before SQLite says
 * "unable to open database file". Then the connection is set to WAL (readers never wait for the writer),
 * foreign keys on, `synchronous = NORMAL` (durable at each checkpoint, safe against corruption; a power cut may
 * lose the last transactions, which the trainer's checkpoints make up for), the files are made owner-only, and
 * pending migrations are applied after a backup, each in its own transaction with the `user_version` bump.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const migrations = options.migrations ?? MIGRATIONS;
  checkMigrationOrder(migrations);
  const onDisk = path !== ':memory:';
  if (onDisk) checkFileBeforeOpening(path);

  let db: SqliteDatabase;
  try {
    db = new Database(path);
  } catch (err) {
    throw translateSqliteError(err, path);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    // Reads only: these touch nothing in the file.
    assertCompatible(db, path, migrations.length);
    if (onDisk) assertIntact(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    if (onDisk) {
      // SQLite gives -wal and -shm the mode of the database file, so tightening it first covers them too.
      for (const file of [path, `${path}-wal`, `${path}-shm`]) restrictToOwner(file, OWNER_ONLY_FILE);
    }
    migrate(db, path, migrations, onDisk);
    return db;
  } catch (err) {
    try {
      db.close();
    } catch {
      /* the error that got us here is the one to report */
    }
    throw translateSqliteError(err, path);
  }
}

function checkMigrationOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`Migration '${m.name}' has version ${m.version} but sits at position ${i + 1}; renumber it.`);
    }
  });
}

/** What SQLite would report late or obscurely ("unable to open database file", "malformed"), said plainly. */
function checkFileBeforeOpening(path: string): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR });
    // WAL needs to create -wal and -shm next to the database: the folder itself must be writable.
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new StorageNotWritableError(dir, 'data folder', errnoReason(err));
  }
  restrictToOwner(dir, OWNER_ONLY_DIR);

  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new NotANasStudioDatabaseError(path, 'it is a folder');
    size = stat.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // a new database: SQLite creates it
    throw err;
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (err) {
    if (isNotWritable(err)) throw new StorageNotWritableError(path, 'database', errnoReason(err));
    throw err;
  }
  // SQLite would take an empty file for a new database and silently start an empty history.
  if (size === 0) throw damaged(path, 'the file is empty, 0 bytes: probably cut short by a full disk or an interrupted copy');
  if (!hasSqliteHeader(path)) throw new NotANasStudioDatabaseError(path, 'it is not a SQLite database');
}

function hasSqliteHeader(path: string): boolean {
  const header = Buffer.alloc(SQLITE_MAGIC.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  return header.equals(SQLITE_MAGIC);
}

function assertCompatible(db: SqliteDatabase, path: string, latest: number): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > latest) throw new NewerSchemaError(path, version, latest);
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId !== 0 && appId !== APPLICATION_ID) {
    throw new NotANasStudioDatabaseError(path, `it belongs to another application, id 0x${appId.toString(16)}`);
  }
  if (version === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").get() as {
      n: number;
    };
    if (tables.n > 0) throw new NotANasStudioDatabaseError(path, 'it is a SQLite database with other tables in it');
  }
}

/** A damaged page found now is refused with the way out, instead of failing later in the middle of a run. */
function assertIntact(db: SqliteDatabase, path: string): void {
  const rows = db.pragma('quick_check(3)', { simple: false }) as { quick_check: string }[];
  if (rows.length === 0 || rows[0]!.quick_check === 'ok') return;
  const lines = rows.flatMap((r) => r.quick_check.split('\n')).filter((l) => l.trim() && !/^\*\*\* in database/.test(l));
  const first = lines[0] ?? rows[0]!.quick_check;
  throw damaged(path, `integrity check: ${first}${tableOfTree(db, first)}`);
}

/** quick_check names a b-tree by its root page ("Tree 12 page 40 …"): say which table or index that is. */
function tableOfTree(db: SqliteDatabase, problem: string): string {
  const root = /^Tree (\d+) /.exec(problem)?.[1];
  if (!root) return '';
  try {
    const name = db.prepare('SELECT name FROM sqlite_schema WHERE rootpage = ?').pluck().get(Number(root)) as string | undefined;
    return name ? `, in '${name}'` : '';
  } catch {
    return '';
  }
}

function migrate(db: SqliteDatabase, path: string, migrations: readonly Migration[], onDisk: boolean): void {
  const start = db.pragma('user_version', { simple: true }) as number;
  if (start >= migrations.length) return;
  // A new database has nothing to lose; an existing one is copied once, before its schema changes.
  if (onDisk && start > 0) backupBeforeMigrating(db, path);
  // Off outside the transactions (it cannot change inside one): a migration that rebuilds a table drops the
  // old one, which with foreign keys on would cascade-delete every row that refers to it.
  db.pragma('foreign_keys = OFF');
  try {
    for (;;) {
      // IMMEDIATE takes the write lock before reading the version, so two processes opening the same
      // folder at once cannot both apply the same migration.
      const applied = db
        .transaction(() => {
          const current = db.pragma('user_version', { simple: true }) as number;
          if (current > migrations.length) throw new NewerSchemaError(path, current, migrations.length);
          const next = migrations[current];
          if (!next) return false;
          db.exec(next.sql);
          next.transform?.(db);
          assertForeignKeysHold(db, next);
          db.pragma(`user_version = ${next.version}`);
          return true;
        })
        .immediate();
      if (!applied) return;
    }
  } finally {
    db.pragma('foreign_keys = ON');
  }
}

function backupBeforeMigrating(db: SqliteDatabase, path: string): void {
  try {
    backupNow(db, path);
  } catch (err) {
    const reason = (err as { code?: string }).code === 'SQLITE_FULL' ? 'the disk is full' : (err as Error).message;
    throw new Error(
      `NAS Studio must back up ${path} to ${backupDirOf(path)} before upgrading it, and the backup failed ` +
        `(${reason}). Nothing was changed; free some space or fix the folder, then start again.`,
    );
  }
}

function assertForeignKeysHold(db: SqliteDatabase, m: Migration): void {
  const broken = db.pragma('foreign_key_check') as { table: string; parent: string }[];
  if (broken.length > 0) {
    const first = broken[0]!;
    throw new Error(
      `Migration ${m.version} (${m.name}) would leave ${broken.length} row(s) of '${first.table}' pointing at ` +
        `missing '${first.parent}' rows; it was rolled back.`,
    );
  }
}

function damaged(path: string, reason: string): DamagedDatabaseError {
  return new DamagedDatabaseError(path, reason, newestBackup(path), backupDirOf(path));
}

function translateSqliteError(err: unknown, path: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return err;
  const reason = (err as Error).message;
  if (code === 'SQLITE_NOTADB') {
    return path !== ':memory:' && safeHasHeader(path)
      ? damaged(path, reason)
      : new NotANasStudioDatabaseError(path, 'it is not a SQLite database');
  }
  if (code.startsWith('SQLITE_CORRUPT')) return damaged(path, reason);
  if (code.startsWith('SQLITE_READONLY')) return new StorageNotWritableError(path, 'database', reason);
  if (code.startsWith('SQLITE_CANTOPEN')) return new StorageNotWritableError(dirname(path), 'data folder', reason);
  if (code === 'SQLITE_FULL') return new StorageFullError(path);
  return err;
}

function safeHasHeader(path: string): boolean {
  try {
    return hasSqliteHeader(path);
  } catch {
    return false;
  }
}
