import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/main/app';
import { prepareDataDir } from '../../../src/main/data-dir';
import { LOCK_FILE_NAME } from '../../../src/main/instance-lock';
import { openDatabase } from '../../../src/main/store/open-database';
import { TRAINER_JS } from '../../support/nas-server';
import { insertRun } from './raw-history';

// The data folder holds the history, dataset paths and the server token: owner-only, and tightened when an
// older version left it readable by others.

const mode = (p: string) => statSync(p).mode & 0o777;

describe('permissions of the data folder', () => {
  let root: string;
  let oldUmask: number;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nas-perm-'));
    oldUmask = process.umask(0o022); // the usual default: new files 0644, folders 0755
  });
  afterEach(() => {
    process.umask(oldUmask);
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the folder 0700 and tightens an existing 0755 one', () => {
    const fresh = join(root, 'fresh');
    prepareDataDir(fresh);
    expect(mode(fresh)).toBe(0o700);
    const old = join(root, 'old');
    mkdirSync(old, { mode: 0o755 });
    prepareDataDir(old);
    expect(mode(old)).toBe(0o700);
  });

  it('makes the database and its -wal and -shm 0600, also when an older version left it 0644', () => {
    const dbPath = join(root, 'data', 'nas-studio.db');
    let db = openDatabase(dbPath);
    insertRun(db); // a write creates the -wal
    expect(existsSync(`${dbPath}-wal`)).toBe(true);
    for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) expect(mode(f), f).toBe(0o600);
    expect(mode(join(root, 'data'))).toBe(0o700);
    db.close();

    chmodSync(dbPath, 0o644);
    db = openDatabase(dbPath);
    insertRun(db);
    for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) expect(mode(f), f).toBe(0o600);
    db.close();
  });

  it('an app started on a readable folder leaves folder, database and lock owner-only', async () => {
    const dataDir = join(root, 'app');
    mkdirSync(dataDir, { mode: 0o755 });
    const app = createApp({ dataDir, mode: 'headless', trainerScript: TRAINER_JS });
    try {
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, 'nas-studio.db'))).toBe(0o600);
      expect(mode(join(dataDir, LOCK_FILE_NAME))).toBe(0o600);
    } finally {
      await app.close();
    }
  });
});
