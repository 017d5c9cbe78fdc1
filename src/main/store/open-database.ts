import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { APPLICATION_ID, MIGRATIONS, type Migration } from './migrations/index';

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /** How long a statement waits for another connection's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** For tests of future migrations; the app always uses MIGRATIONS. */
  migrations?: readonly Migration[];
}

/** The database was written by a newer NAS Studio; the file was not modified. */
export class NewerSchemaError extends Error {
  constructor(
    readonly path: string,
    readonly fileVersion: number,
    readonly appVersion: number,
  ) {
    super(
      `The database at ${path} was written by a newer NAS Studio (schema v${fileVersion}, this app understands up to ` +
        `v${appVersion}). Update NAS Studio, or choose another data folder with --data-dir.`,
    );
    this.name = 'NewerSchemaError';
  }
}

/** The file exists but is not a NAS Studio database (not SQLite at all, or another program's SQLite file). */
export class NotANasStudioDatabaseError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(
      `The file ${path} is not a NAS Studio database (${reason}). Move it out of the way, or choose another data ` +
        `folder with --data-dir.`,
    );
    this.name = 'NotANasStudioDatabaseError';
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Opens (creating the folders and the file when needed) and migrates the NAS Studio database.
 *
 * Nothing is written before the file has been checked: a foreign or newer file is refused untouched. Then the
 * connection is set to WAL (readers never wait for the writer), foreign keys on, `synchronous = NORMAL` (durable
 * at each checkpoint, safe against corruption; a power cut may lose the last transactions, which the trainer's
 * checkpoints make up for) and pending migrations are applied, each in its own transaction with the
 * `user_version` bump.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const migrations = options.migrations ?? MIGRATIONS;
  checkMigrationOrder(migrations);
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
    assertSqliteHeader(path);
  }

  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    // Reads only: these touch nothing in the file.
    assertCompatible(db, path, migrations.length);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    migrate(db, path, migrations);
    return db;
  } catch (err) {
    db.close();
    throw translateOpenError(err, path);
  }
}

function checkMigrationOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`Migration '${m.name}' has version ${m.version} but sits at position ${i + 1}; renumber it.`);
    }
  });
}

/** better-sqlite3 opens any file and fails only on the first query; check the header first to say it plainly. */
function assertSqliteHeader(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return; // does not exist yet: SQLite creates it
  }
  if (size === 0) return; // an empty file is an empty database
  const header = Buffer.alloc(SQLITE_MAGIC.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.equals(SQLITE_MAGIC)) throw new NotANasStudioDatabaseError(path, 'it is not a SQLite database');
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

function migrate(db: SqliteDatabase, path: string, migrations: readonly Migration[]): void {
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
        db.pragma(`user_version = ${next.version}`);
        return true;
      })
      .immediate();
    if (!applied) return;
  }
}

function translateOpenError(err: unknown, path: string): unknown {
  if (err instanceof Error && (err as { code?: string }).code === 'SQLITE_NOTADB') {
    return new NotANasStudioDatabaseError(path, 'it is not a SQLite database');
  }
  return err;
}
