import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/main/app';
import { DataDirInUseError, LOCK_FILE_NAME, acquireInstanceLock, processStartTime } from '../../../src/main/instance-lock';
import { TRAINER_JS } from '../../support/nas-server';
import { insertRun } from './raw-history';

// One NAS Studio per data folder, with real processes as holders: a live one refuses, a dead one or a reused
// PID is taken over.

function lockText(o: { pid: number; processStart: string | null; host?: string; kind?: string; startedAt?: number }): string {
  return JSON.stringify({
    kind: o.kind ?? 'server',
    pid: o.pid,
    hostname: o.host ?? hostname(),
    startedAt: o.startedAt ?? new Date(2024, 4, 1, 17, 2).getTime(),
    processStart: o.processStart,
    nonce: 'someone',
  });
}

async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('instance lock', () => {
  let dir: string;
  let lockPath: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nas-lock-'));
    lockPath = join(dir, LOCK_FILE_NAME);
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('is held by one instance at a time and names the holder to the next', () => {
    const first = acquireInstanceLock(dir, 'server');
    expect(statSync(lockPath).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ kind: 'server', pid: process.pid, hostname: hostname() });

    let refused: unknown;
    try {
      acquireInstanceLock(dir, 'electron');
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(DataDirInUseError);
    const started = new Date(first.holder.startedAt);
    const hhmm = `${String(started.getHours()).padStart(2, '0')}:${String(started.getMinutes()).padStart(2, '0')}`;
    expect((refused as Error).message).toBe(
      `The data folder ${dir} is in use by the NAS Studio server (PID ${process.pid}, started ${hhmm}). ` +
        'Stop it or use --data-dir for another folder.',
    );

    first.release();
    expect(existsSync(lockPath)).toBe(false);
    acquireInstanceLock(dir, 'electron').release();
  });

  it('refuses while another live process holds it, naming its PID and a start on another day with the date', async () => {
    const holder = spawn('sleep', ['30']);
    children.push(holder);
    await new Promise((r) => holder.once('spawn', r));
    writeFileSync(lockPath, lockText({ pid: holder.pid!, processStart: processStartTime(holder.pid!), kind: 'electron' }));
    expect(() => acquireInstanceLock(dir, 'server')).toThrow(
      `is in use by the NAS Studio app (PID ${holder.pid}, started 2024-05-01 17:02). Stop it or use --data-dir`,
    );
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(holder.pid); // untouched
  });

  it('takes over the lock of a process that is gone, saying so', async () => {
    const dead = await exitedPid();
    writeFileSync(lockPath, lockText({ pid: dead, processStart: '12345' }));
    const log: string[] = [];
    const lock = acquireInstanceLock(dir, 'server', (l) => log.push(l));
    expect(log).toEqual([`Took over the lock of ${dir} left by the NAS Studio server (PID ${dead}, started 2024-05-01 17:02), which is no longer running.`]);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock whose PID now belongs to another process (another start time)', async () => {
    const other = spawn('sleep', ['30']);
    children.push(other);
    await new Promise((r) => other.once('spawn', r));
    const realStart = processStartTime(other.pid!);
    if (realStart === null) throw new Error('no /proc/<pid>/stat on this machine');
    writeFileSync(lockPath, lockText({ pid: other.pid!, processStart: String(Number(realStart) - 1000) }));
    const log: string[] = [];
    acquireInstanceLock(dir, 'server', (l) => log.push(l)).release();
    expect(log[0]).toContain('which is no longer running');
  });

  it('takes over an unreadable lock file (a crash between creating and writing it)', () => {
    writeFileSync(lockPath, '');
    const log: string[] = [];
    acquireInstanceLock(dir, 'server', (l) => log.push(l)).release();
    expect(log).toEqual([`Took over the unreadable lock file ${lockPath}.`]);
  });

  it('trusts a holder on another machine (a shared folder) and says how to clear it', () => {
    writeFileSync(lockPath, lockText({ pid: 1, processStart: null, host: 'lab-box-7' }));
    expect(() => acquireInstanceLock(dir, 'server')).toThrow(
      `in use by the NAS Studio server on lab-box-7 (PID 1, started 2024-05-01 17:02). Stop it or use --data-dir for another folder. ` +
        `If lab-box-7 no longer runs NAS Studio on this folder, delete ${lockPath}.`,
    );
  });

  it('release leaves alone a lock that is no longer its own', () => {
    const lock = acquireInstanceLock(dir, 'server');
    writeFileSync(lockPath, lockText({ pid: 1, processStart: null })); // replaced behind its back
    lock.release();
    expect(existsSync(lockPath)).toBe(true);
  });

  it('createApp refuses a second app before it touches the first one\'s live run', async () => {
    const first = createApp({ dataDir: dir, mode: 'headless', trainerScript: TRAINER_JS });
    try {
      const live = insertRun(first.store.db, { status: 'running' }); // as if the first one were training it
      first.store.db.prepare('UPDATE runs SET running_since = started_at WHERE id = ?').run(live);
      expect(() => createApp({ dataDir: dir, mode: 'electron', trainerScript: TRAINER_JS })).toThrow(DataDirInUseError);
      const row = first.store.db.prepare('SELECT status, error FROM runs WHERE id = ?').get(live);
      expect(row).toEqual({ status: 'running', error: null });
      expect(await first.invoke('app.info', {})).toMatchObject({ dataDir: dir });
    } finally {
      await first.close();
    }
    expect(existsSync(lockPath)).toBe(false);
    const again = createApp({ dataDir: dir, mode: 'headless', trainerScript: TRAINER_JS });
    expect(again.runs.interruptedRuns).toEqual([1]); // its holder is gone now: the run really was interrupted
    await again.close();
  });
});
