import { join } from 'node:path';
import type { StorageStatus } from '../../shared/api';
import type { Store } from '../store/store';
import { LOW_SPACE_BYTES, RUN_START_MARGIN_BYTES, formatBytes, freeBytes } from '../disk-space';
import { PendingWrites, statusFields, type SpoolRecord } from './event-spool';
import { RESERVE_BYTES, SpaceReserve } from './space-reserve';
import { describeStorageFault, isStorageFault, type StorageFaultText } from './storage-fault';

// The run manager's writes to SQLite go through here. While the disk takes them they are written at once;
// after a storage fault (full, read-only, failing disk) they queue (memory + spool file per run) and a timer
// retries until they are written and the disk has room again, then the manager is told to carry on.
// Free space is watched too, so the UI can warn before the disk is full.

const RETRY_MS = 1000;
const WATCH_MS = 5000;
/** While space is low or storage faulted, the status is re-sent this often for windows opened meanwhile. */
const REPEAT_MS = 30_000;

export interface StorageGuardOptions {
  store: Store;
  dataDir: string;
  runDir(id: number): string;
  onStatus(status: StorageStatus): void;
  /** The fault is over: everything waiting is in SQLite and the disk has room. */
  onRecovered(): void;
}

export class StorageGuard {
  readonly pending: PendingWrites;
  private readonly reserve: SpaceReserve;
  private faultText: StorageFaultText | null = null;
  private timer: NodeJS.Timeout | null = null;
  private last: StorageStatus | null = null;
  private lastSentAt = 0;

  constructor(private readonly o: StorageGuardOptions) {
    this.pending = new PendingWrites(o.store, o.runDir);
    this.reserve = new SpaceReserve(o.dataDir);
  }

  /** Start-up: writes what a previous session left in spool files, makes the reserve, starts watching. */
  start(): void {
    this.pending.load(join(this.o.dataDir, 'runs'));
    try {
      if (!this.pending.drain('if-running')) this.faultText ??= describeStorageFault({ code: 'SQLITE_FULL' }, this.o.dataDir);
    } catch (e) {
      this.noteFault(e);
    }
    this.reserve.ensure();
    this.schedule(this.faultText ? RETRY_MS : 0);
  }

  /** The fault the app is in, or null. */
  get fault(): StorageFaultText | null {
    return this.faultText;
  }

  /**
   * Stores one record of a run: at once when the disk takes it and nothing of the run is waiting, else
   * behind the waiting ones. Returns false when it had to wait (a storage fault): the caller pauses the run.
   */
  record(runId: number, record: SpoolRecord): boolean {
    if (!this.faultText && !this.pending.has(runId)) {
      try {
        if (record.events?.length) this.o.store.ingest(runId, record.events, record.time);
        if (record.status) this.o.store.runs.setStatus(runId, record.status.status, statusFields(record), record.time);
        return true;
      } catch (e) {
        if (!isStorageFault(e)) {
          console.error(`Could not save events of run ${runId}: ${(e as Error).message}`);
          return true;
        }
        this.noteFault(e);
      }
    }
    this.pending.add(runId, record);
    return false;
  }

  /** Enters the fault state for `err` (a storage fault met on any write path); retries start. */
  noteFault(err: unknown): StorageFaultText {
    const first = !this.faultText;
    this.faultText ??= describeStorageFault(err, this.o.dataDir);
    if (first) {
      console.error(`Storage fault: ${(err as Error)?.message ?? err}. ${this.faultText.reason}`);
      // Not check() here: the record that failed is queued only after this returns.
      this.schedule(0);
    }
    return this.faultText;
  }

  /**
   * Frees the reserve and writes what is waiting: used once the run has stopped, so that its paused status
   * and its events reach SQLite even on a full disk. True when nothing is left waiting.
   */
  flushWithReserve(): boolean {
    this.reserve.release();
    return this.pending.drain();
  }

  status(): StorageStatus {
    const free = freeBytes(this.o.dataDir);
    if (this.faultText) return { level: 'fault', folder: this.o.dataDir, freeBytes: free, message: `${this.faultText.reason} ${this.faultText.fix}` };
    if (free !== null && free < LOW_SPACE_BYTES) {
      return {
        level: 'low',
        folder: this.o.dataDir,
        freeBytes: free,
        message: `Only ${formatBytes(free)} free on the disk holding ${this.o.dataDir}. Runs pause when it is full; free some space to keep training.`,
      };
    }
    return { level: 'ok', folder: this.o.dataDir, freeBytes: free, message: null };
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      this.pending.drain();
    } catch {
      // What is left stays in the spool files for the next start.
    }
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), ms);
    this.timer.unref();
  }

  /** One retry / watch round: drain, leave the fault once the disk has room, publish the status. */
  private check(): void {
    // A timer callback: nothing here may throw into the event loop (the server would die of it), and the
    // next round is always scheduled.
    try {
      this.checkOnce();
    } catch (e) {
      console.error(`Storage check failed: ${(e as Error).message}`);
    } finally {
      this.schedule(this.faultText ? RETRY_MS : WATCH_MS);
    }
  }

  private checkOnce(): void {
    if (this.pending.has() && !this.pending.drain()) this.faultText ??= describeStorageFault({ code: 'SQLITE_FULL' }, this.o.dataDir);
    let recovered = false;
    if (this.faultText && !this.pending.has()) {
      const free = freeBytes(this.o.dataDir);
      if (free === null || free >= RUN_START_MARGIN_BYTES + RESERVE_BYTES) {
        this.reserve.ensure();
        this.faultText = null;
        recovered = true;
      }
    }
    const s = this.status();
    const now = Date.now();
    if (!this.last || s.level !== this.last.level || (s.level !== 'ok' && now - this.lastSentAt > REPEAT_MS)) {
      this.last = s;
      this.lastSentAt = now;
      this.o.onStatus(s);
    }
    if (recovered) this.o.onRecovered();
  }
}
