import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKUPS_KEPT, DAILY_MS, backupNow, listBackups, startDailyBackups } from '../../../src/main/store/backup';
import { MIGRATIONS } from '../../../src/main/store/migrations/index';
import { openDatabase } from '../../../src/main/store/open-database';
import { tempDataDir } from './helpers';
import { fillRun, insertRun } from './raw-history';

// Automatic backups in <dataDir>/backups: before a migration and daily, the newest few kept, owner-only.

const V2 = MIGRATIONS.slice(0, 2);
const V3 = MIGRATIONS.slice(0, 3);
const mode = (p: string) => statSync(p).mode & 0o777;

function readBackup(path: string): { version: number; runs: number; metrics: number } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return {
      version: db.pragma('user_version', { simple: true }) as number,
      runs: db.prepare('SELECT count(*) FROM runs').pluck().get() as number,
      metrics: db.prepare('SELECT count(*) FROM metrics').pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

describe('automatic backups', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  beforeEach(() => {
    tmp = tempDataDir();
  });
  afterEach(() => tmp.dispose());

  it('copies the history before a migration changes it, named with the date and the schema version', () => {
    const v2 = openDatabase(tmp.dbPath, { migrations: V2 });
    fillRun(v2, insertRun(v2));
    fillRun(v2, insertRun(v2));
    v2.close();

    const before = Date.now();
    openDatabase(tmp.dbPath, { migrations: V3 }).close();
    const backups = listBackups(tmp.dbPath);
    expect(backups).toHaveLength(1);
    const [b] = backups;
    expect(dirname(b!.path)).toBe(join(dirname(tmp.dbPath), 'backups'));
    expect(basename(b!.path)).toMatch(new RegExp(`^nas-studio-${new Date(before).toISOString().slice(0, 10)}T\\d\\d-\\d\\d-\\d\\dZ-v2\\.db$`));
    expect(b!.schemaVersion).toBe(2);
    expect(Math.abs(b!.takenAt - before)).toBeLessThan(5000);
    expect(readBackup(b!.path)).toEqual({ version: 2, runs: 2, metrics: 100 });
    expect(mode(b!.path)).toBe(0o600);
    expect(mode(dirname(b!.path))).toBe(0o700);
    expect(existsSync(`${b!.path}.partial`)).toBe(false);
  });

  it('takes no backup of a new, empty database', () => {
    openDatabase(tmp.dbPath).close();
    expect(listBackups(tmp.dbPath)).toEqual([]);
  });

  it('does not migrate when the backup cannot be written, and says why', () => {
    openDatabase(tmp.dbPath, { migrations: V2 }).close();
    writeFileSync(join(dirname(tmp.dbPath), 'backups'), 'a file where the backups folder goes');
    expect(() => openDatabase(tmp.dbPath, { migrations: V3 })).toThrow(
      `NAS Studio must back up ${tmp.dbPath} to ${join(dirname(tmp.dbPath), 'backups')} before upgrading it, and the backup failed`,
    );
    const db = new Database(tmp.dbPath, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });

  it(`keeps the newest ${BACKUPS_KEPT}`, () => {
    const db = openDatabase(tmp.dbPath);
    const days = [5, 1, 4, 2, 3].map((d) => new Date(Date.UTC(2024, 4, d, 12)));
    for (const day of days) backupNow(db, tmp.dbPath, day);
    db.close();
    expect(listBackups(tmp.dbPath).map((b) => new Date(b.takenAt).getUTCDate())).toEqual([5, 4, 3]);
  });

  it('backs up online when the newest backup is a day old, and not again the same day', async () => {
    const db = openDatabase(tmp.dbPath);
    fillRun(db, insertRun(db));
    const old = backupNow(db, tmp.dbPath, new Date(Date.now() - DAILY_MS - 60_000));
    const log: string[] = [];

    await startDailyBackups(db, tmp.dbPath, (l) => log.push(l)).stop();
    const after = listBackups(tmp.dbPath);
    expect(after).toHaveLength(2);
    expect(after[1]!.path).toBe(old);
    expect(readBackup(after[0]!.path)).toMatchObject({ runs: 1, metrics: 50 });
    expect(mode(after[0]!.path)).toBe(0o600);

    await startDailyBackups(db, tmp.dbPath, (l) => log.push(l)).stop();
    expect(listBackups(tmp.dbPath)).toHaveLength(2);
    expect(log).toEqual([]);
    db.close();
  });

  it('reports a failed daily backup without stopping anything', async () => {
    const backups = join(dirname(tmp.dbPath), 'backups');
    mkdirSync(dirname(tmp.dbPath), { recursive: true });
    // A file where the backups folder goes fails for every user (chmod would not bind root).
    writeFileSync(backups, '');
    const db = openDatabase(tmp.dbPath);
    const log: string[] = [];
    await startDailyBackups(db, tmp.dbPath, (l) => log.push(l)).stop();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^The daily backup of .*nas-studio\.db failed \(.+\); it is retried in an hour\.$/);
    expect(db.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(0); // the connection still works
    db.close();
  });
});
