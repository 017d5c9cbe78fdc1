import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { OWNER_ONLY_FILE } from './store/file-modes';
import { StorageNotWritableError, errnoReason } from './store/storage-errors';

// One NAS Studio per data folder. Two would both drive the same history: the second marks the first's live run
// interrupted and may start a second trainer on it. The lock is a file created atomically ('wx') that names its
// holder; a lock whose holder is gone (no such PID, or the PID now belongs to a process started at another
// time) is stale and taken over.

export type InstanceKind = 'server' | 'electron';
export const LOCK_FILE_NAME = 'nas-studio.lock';

export interface LockHolder {
  kind: InstanceKind;
  pid: number;
  hostname: string;
  /** Wall-clock start of the holder, ms since the epoch: shown to people. */
  startedAt: number;
  /** The kernel's start time of the process (/proc/<pid>/stat field 22), to tell a reused PID; null off Linux. */
  processStart: string | null;
  /** Tells this lock from a later one of the same process. */
  nonce: string;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    lockPath: string,
  ) {
    const remote =
      holder.hostname === hostname()
        ? ''
        : ` If ${holder.hostname} no longer runs NAS Studio on this folder, delete ${lockPath}.`;
    super(`The data folder ${dataDir} is in use by ${describeHolder(holder)}. Stop it or use --data-dir for another folder.${remote}`);
    this.name = 'DataDirInUseError';
  }
}

export interface InstanceLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours. Idempotent; never throws. */
  release(): void;
}

/** A guard left by a process killed while taking over a stale lock is itself stale after this long. */
const TAKEOVER_GUARD_STALE_MS = 10_000;
const ATTEMPTS = 60;
const RETRY_MS = 50;

/**
 * Takes the data folder's lock for this process or throws DataDirInUseError naming the live holder. Takes over
 * a stale lock, saying so through `log`. The lock is also removed when the process exits without release().
 */
export function acquireInstanceLock(dataDir: string, kind: InstanceKind, log: (line: string) => void = console.warn): InstanceLock {
  const path = join(dataDir, LOCK_FILE_NAME);
  const me: LockHolder = {
    kind,
    pid: process.pid,
    hostname: hostname(),
    startedAt: Date.now(),
    processStart: processStartTime(process.pid),
    nonce: randomBytes(8).toString('hex'),
  };
  const content = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (tryCreate(path, content, dataDir)) return ownedLock(path, me, content);
    const seen = readSettled(path);
    if (seen === null) continue; // released meanwhile: try again at once
    const holder = parseHolder(seen);
    if (holder && holderIsAlive(holder)) throw new DataDirInUseError(dataDir, holder, path);
    if (takeOver(path, seen, content, dataDir)) {
      log(
        holder
          ? `Took over the lock of ${dataDir} left by ${describeHolder(holder)}, which is no longer running.`
          : `Took over the unreadable lock file ${path}.`,
      );
      return ownedLock(path, me, content);
    }
    sleep(RETRY_MS); // another process is taking it over: see who wins
  }
  throw new Error(`Could not take the lock ${path}: other NAS Studio processes keep changing it. Try again.`);
}

/** "the NAS Studio server (PID 1234, started 17:02)", with the host when it is another machine. */
export function describeHolder(h: LockHolder, now = new Date()): string {
  const what = h.kind === 'server' ? 'the NAS Studio server' : 'the NAS Studio app';
  const where = h.hostname === hostname() ? '' : ` on ${h.hostname}`;
  return `${what}${where} (PID ${h.pid}, started ${formatStart(h.startedAt, now)})`;
}

function formatStart(ms: number, now: Date): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.toDateString() === now.toDateString() ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

function ownedLock(path: string, holder: LockHolder, content: string): InstanceLock {
  let released = false;
  const removeIfOurs = () => {
    try {
      if (readFileSync(path, 'utf8') === content) rmSync(path, { force: true });
    } catch {
      /* already gone */
    }
  };
  process.on('exit', removeIfOurs);
  return {
    path,
    holder,
    release() {
      if (released) return;
      released = true;
      process.off('exit', removeIfOurs);
      removeIfOurs();
    },
  };
}

/** Creates the lock with our content; false when it exists. 'wx' makes creation atomic: one process wins. */
function tryCreate(path: string, content: string, dataDir: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', OWNER_ONLY_FILE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StorageNotWritableError(dataDir, 'data folder', errnoReason(err));
  }
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw new StorageNotWritableError(dataDir, 'data folder', errnoReason(err));
  }
  closeSync(fd);
  return true;
}

/**
 * The lock's text, or null when there is none. A lock caught between its creation and its write reads empty;
 * give its writer a moment before calling it unreadable.
 */
function readSettled(path: string): string | null {
  let text = readOrNull(path);
  for (let i = 0; i < 10 && text !== null && parseHolder(text) === null; i++) {
    sleep(RETRY_MS);
    text = readOrNull(path);
  }
  return text;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    // A PID of 0 or below would make kill(pid, 0) test a whole process group.
    if (!Number.isInteger(h.pid) || h.pid! <= 0 || typeof h.hostname !== 'string') return null;
    return {
      kind: h.kind === 'electron' ? 'electron' : 'server',
      pid: h.pid!,
      hostname: h.hostname,
      startedAt: typeof h.startedAt === 'number' ? h.startedAt : 0,
      processStart: typeof h.processStart === 'string' ? h.processStart : null,
      nonce: typeof h.nonce === 'string' ? h.nonce : '',
    };
  } catch {
    return null;
  }
}

function holderIsAlive(h: LockHolder): boolean {
  // A process on another machine (a shared folder) cannot be checked from here: assume it runs.
  if (h.hostname !== hostname()) return true;
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = processStartTime(h.pid);
  return !(start !== null && h.processStart !== null && start !== h.processStart);
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. Null off Linux. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or ')': count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Replaces the stale lock whose text was `stale`. Two processes may find the same stale lock; only the one that
 * creates the guard file replaces it, and only if the lock still holds what it judged stale.
 */
function takeOver(path: string, stale: string, content: string, dataDir: string): boolean {
  const guard = `${path}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx', OWNER_ONLY_FILE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StorageNotWritableError(dataDir, 'data folder', errnoReason(err));
    removeIfOlderThan(guard, TAKEOVER_GUARD_STALE_MS);
    return false;
  }
  try {
    if (readOrNull(path) !== stale) return false;
    rmSync(path, { force: true });
    return tryCreate(path, content, dataDir);
  } finally {
    closeSync(fd);
    rmSync(guard, { force: true });
  }
}

function removeIfOlderThan(path: string, ms: number): void {
  try {
    if (Date.now() - statSync(path).mtimeMs > ms) rmSync(path, { force: true });
  } catch {
    /* gone already */
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
