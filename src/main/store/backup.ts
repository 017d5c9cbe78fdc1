import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE, restrictToOwner } from './file-modes';

// Automatic copies of the history in <dataDir>/backups/: one before a migration changes the schema, one a day
// while the app runs. The newest BACKUPS_KEPT are kept; a damaged database's error names the newest.

export const BACKUPS_KEPT = 3;
export const DAILY_MS = 24 * 60 * 60 * 1000;
/** How often a long-running app checks whether the daily backup is due. */
const CHECK_EVERY_MS = 60 * 60 * 1000;

// nas-studio-2024-05-01T17-02-03Z-v2.db: UTC time taken, then the schema version of the copy.
const NAME = /^nas-studio-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z-v(\d+)\.db$/;

export interface BackupFile {
  path: string;
  /** ms since the epoch, from the name (a copied file's mtime would lie). */
  takenAt: number;
  schemaVersion: number;
}

export function backupDirOf(dbPath: string): string {
  return join(dirname(dbPath), 'backups');
}

export function backupFileName(schemaVersion: number, at: Date): string {
  const stamp = at.toISOString().slice(0, 19).replace(/:/g, '-');
  return `nas-studio-${stamp}Z-v${schemaVersion}.db`;
}

/** The backups of the database at `dbPath`, newest first. */
export function listBackups(dbPath: string): BackupFile[] {
  const dir = backupDirOf(dbPath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: BackupFile[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const takenAt = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`);
    if (Number.isFinite(takenAt)) found.push({ path: join(dir, name), takenAt, schemaVersion: Number(m[5]) });
  }
  return found.sort((a, b) => b.takenAt - a.takenAt || b.schemaVersion - a.schemaVersion);
}

export function newestBackup(dbPath: string): string | null {
  return listBackups(dbPath)[0]?.path ?? null;
}

/**
 * Copies the open database synchronously (`VACUUM INTO`, a consistent snapshot even in WAL mode). Used before
 * a migration: opening is synchronous and the schema must not change before the copy is complete.
 */
export function backupNow(db: Database.Database, dbPath: string, now = new Date()): string {
  return writeBackup(db, dbPath, now, (tmp) => {
    db.prepare('VACUUM INTO ?').run(tmp);
  });
}

/** Copies the open database with SQLite's online backup (better-sqlite3 `db.backup`), between other work. */
export async function backupOnline(db: Database.Database, dbPath: string, now = new Date()): Promise<string> {
  const { final, tmp } = prepareTarget(db, dbPath, now);
  try {
    await db.backup(tmp);
    return publish(dbPath, tmp, final);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export function isBackupDue(dbPath: string, now = Date.now(), intervalMs = DAILY_MS): boolean {
  const newest = listBackups(dbPath)[0];
  return !newest || now - newest.takenAt >= intervalMs;
}

export interface DailyBackups {
  /** Stops the checks and waits for a backup in progress (it must end before the connection closes). */
  stop(): Promise<void>;
}

/**
 * Takes a backup now when the newest is a day old (or there is none), then checks hourly. A failed backup
 * is reported through `log` and retried at the next check; it never stops the app.
 */
export function startDailyBackups(db: Database.Database, dbPath: string, log: (message: string) => void): DailyBackups {
  let inFlight: Promise<void> | null = null;
  const check = () => {
    if (inFlight || !db.open || !isBackupDue(dbPath)) return;
    inFlight = backupOnline(db, dbPath)
      .then(
        () => undefined,
        (err: Error) => log(`The daily backup of ${dbPath} failed (${err.message}); it is retried in an hour.`),
      )
      .finally(() => {
        inFlight = null;
      });
  };
  check();
  const timer = setInterval(check, CHECK_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}

function writeBackup(db: Database.Database, dbPath: string, now: Date, copy: (tmp: string) => void): string {
  const { final, tmp } = prepareTarget(db, dbPath, now);
  try {
    copy(tmp);
    return publish(dbPath, tmp, final);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function prepareTarget(db: Database.Database, dbPath: string, now: Date): { final: string; tmp: string } {
  const dir = backupDirOf(dbPath);
  mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR });
  restrictToOwner(dir, OWNER_ONLY_DIR);
  const version = db.pragma('user_version', { simple: true }) as number;
  const final = join(dir, backupFileName(version, now));
  // Written under another name and renamed: a backup cut short (full disk, crash) is never taken for one.
  const tmp = `${final}.partial`;
  rmSync(tmp, { force: true });
  return { final, tmp };
}

function publish(dbPath: string, tmp: string, final: string): string {
  restrictToOwner(tmp, OWNER_ONLY_FILE);
  renameSync(tmp, final);
  prune(dbPath);
  return final;
}

function prune(dbPath: string): void {
  for (const old of listBackups(dbPath).slice(BACKUPS_KEPT)) {
    if (existsSync(old.path)) rmSync(old.path, { force: true });
  }
}
