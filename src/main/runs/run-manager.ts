import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PushEvent } from '../../shared/api';
import { isDryRun, type SearchConfig } from '../../shared/config';
import type { RunStatus, TrainerEvent } from '../../shared/events';
import type { DataReference } from '../nas/job';
import type { Store } from '../store/store';
import { ConflictError, NotFoundError } from '../app-errors';
import type { ExecutionBackend, JobExit, JobHandle } from './execution-backend';
import { NotEnoughSpaceError, RUN_START_MARGIN_BYTES, requireFreeSpace } from '../disk-space';
import { StorageGuard } from './storage-guard';
import { describeStorageFault, isStorageFault, type StorageFaultText } from './storage-fault';

// Queue and supervisor of runs. One run trains at a time (a second would halve both on a CPU); the others
// wait as 'queued'. Trainer events are forwarded live and written to SQLite in batches, and every batch is
// flushed before a status change, so nothing a trainer reported is lost when it dies. Writes go through the
// StorageGuard: on a full, read-only or failing disk the run is paused (not failed), what it reported waits
// in memory and in a spool file, and is written when the disk recovers; the server never dies of it.

const FLUSH_MS = 250;
const SUMMARY_THROTTLE_MS = 1000;
const STOP_GRACE_MS = 5000;
/** On app shutdown the running step must finish to write its checkpoint; one step of a large supernet on a
 * CPU can take a minute. */
const SHUTDOWN_GRACE_MS = 120_000;
/** Where a dry run's architectures are scored: shown in the runs list's dataset column. */
export const DRY_RUN_DATASET_NAME = 'NAS-Bench-201 table';
/** Checkpoint files kept per run: the newest is what resume needs; one more survives a torn last write. */
const CHECKPOINTS_KEPT = 2;

interface ActiveRun {
  id: number;
  handle: JobHandle;
  buffer: TrainerEvent[];
  cancelRequested: boolean;
  killTimer: NodeJS.Timeout | null;
  /** Set when a storage fault paused the run: the reason it ends up paused. */
  storagePause: StorageFaultText | null;
}

export interface RunManagerOptions {
  store: Store;
  backend: ExecutionBackend;
  dataDir: string;
  appVersion: string;
  /** Resolves a dataset id (the config's `dataset`) to files. */
  resolveDataset(config: SearchConfig): { ref: DataReference; id: number; name: string };
  /** The imported NAS-Bench-201 table a run scores with, or null for the built-in one (BenchmarkService). */
  benchmarkTable?: () => string | null;
}

/** Runs trained on a lab's workers (src/main/dispatch's DispatchCoordinator): several at once, beside the
 * one local run. */
export interface RemoteRuns {
  /** Dispatches the run's next attempt (a new run, or a resume from its last checkpoint). */
  submit(id: number): Promise<unknown>;
  cancel(id: number): Promise<void>;
  pause(id: number): Promise<void>;
}

const NO_LAB = "This app coordinates no lab: turn on 'Let other machines help' in Settings (or start 'nas-studio serve --coordinator'), or run it on this machine.";

export class RunManager {
  private active: ActiveRun | null = null;
  private remote: RemoteRuns | null = null;
  private readonly listeners = new Set<(e: PushEvent) => void>();
  private flushTimer: NodeJS.Timeout;
  private lastSummaryAt = 0;
  private closing = false;
  private readonly storage: StorageGuard;
  /** Runs found 'running' at start-up: the app stopped while they trained. */
  readonly interruptedRuns: number[];

  constructor(private readonly o: RunManagerOptions) {
    this.storage = new StorageGuard({
      store: o.store,
      dataDir: o.dataDir,
      runDir: (id) => this.runDir(id),
      onStatus: (status) => this.publish({ type: 'storage.status', status }),
      onRecovered: () => this.schedule(),
    });
    // Events a previous session could not store come first: a run they belong to may be marked interrupted.
    this.storage.start();
    this.interruptedRuns = this.markInterrupted();
    this.flushTimer = setInterval(() => this.flush(), FLUSH_MS);
    this.flushTimer.unref();
    setImmediate(() => this.schedule());
  }

  private markInterrupted(): number[] {
    try {
      return this.o.store.runs.markInterrupted();
    } catch (e) {
      if (!isStorageFault(e)) throw e;
      this.storage.noteFault(e);
      return [];
    }
  }

  /** The data folder's disk: ok, low on space, or faulted (what the low-disk banner shows). */
  storageStatus() {
    return this.storage.status();
  }

  /** A write made on a user's request: a storage fault becomes an error that says what to do. */
  private userWrite<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!isStorageFault(e)) throw e;
      this.storage.noteFault(e);
      const { reason, action } = describeStorageFault(e, this.o.dataDir, 'the change');
      throw new Error(`${reason} ${action} Then try again.`);
    }
  }

  onPush(listener: (e: PushEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(e: PushEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** A line in the run's event log, stored and shown live like the trainer's own log lines. */
  private log(id: number, level: 'info' | 'warn' | 'error', message: string): void {
    this.storage.record(id, { time: Date.now(), events: [{ type: 'log', level, message }] });
    this.publish({ type: 'run.event', runId: id, event: { type: 'log', level, message } });
  }

  /** A status change the run manager makes on its own (not on a request): never throws on a storage fault. */
  private setStatus(id: number, status: RunStatus, error?: string | null): void {
    this.storage.record(id, { time: Date.now(), status: error === undefined ? { status } : { status, error } });
  }

  private publishSummary(id: number): void {
    const run = this.o.store.runs.summary(id);
    if (run) this.publish({ type: 'run.updated', run });
  }

  /** The lab's coordinator while this app is one (null: every run trains here). */
  setRemote(remote: RemoteRuns | null): void {
    this.remote = remote;
  }

  /** The coordinator, for a run sent to workers; null for a local run. */
  private remoteOf(id: number): RemoteRuns | null {
    const where = this.o.store.dispatch.where(id);
    if (where === null || where === 'local') return null;
    if (!this.remote) throw new ConflictError(`Run ${id} trains on the lab's workers. ${NO_LAB}`);
    return this.remote;
  }

  /** `options`: a seed group's id (runs.createGroup), the run a retrain was launched from, where it trains
   * ('local' by default, 'any' worker or a worker's name). */
  create(config: SearchConfig, options: { groupId?: number | null; parentId?: number | null; where?: string } = {}): number {
    const where = options.where ?? 'local';
    if (where !== 'local' && !this.remote) throw new ConflictError(NO_LAB);
    // A dry run looks architectures up in the table: no dataset to resolve (its config says none).
    const dataset = isDryRun(config) ? { id: null, name: DRY_RUN_DATASET_NAME } : this.o.resolveDataset(config);
    requireFreeSpace(this.o.dataDir, RUN_START_MARGIN_BYTES, 'start a run');
    const id = this.userWrite(() =>
      this.o.store.transaction(() => {
        const created = this.o.store.runs.create(config, { id: dataset.id, name: dataset.name }, { status: 'queued', name: config.name, groupId: options.groupId, parentId: options.parentId });
        if (where !== 'local') this.o.store.dispatch.setWhere(created, where);
        return created;
      }),
    );
    this.publishSummary(id);
    if (where !== 'local') this.submitRemote(id);
    else this.schedule();
    return id;
  }

  private submitRemote(id: number): void {
    this.remote!.submit(id).catch((e: Error) => {
      this.setStatus(id, 'failed', `Could not send the run to the lab's queue: ${e.message}`);
      this.publishSummary(id);
    });
  }

  runDir(id: number): string {
    return join(this.o.dataDir, 'runs', String(id));
  }

  private schedule(): void {
    // During a storage fault queued runs wait: they could record nothing.
    if (this.active || this.closing || this.storage.fault) return;
    const next = this.o.store.runs.list({ status: 'queued', sort: 'createdAt', direction: 'asc' }).find((r) => r.where === 'local');
    if (next) this.startRun(next.id);
  }

  private startRun(id: number): void {
    const run = this.o.store.runs.get(id);
    if (!run) return;
    let data: DataReference | null;
    try {
      data = isDryRun(run.config) ? null : this.o.resolveDataset(run.config).ref;
    } catch (e) {
      this.setStatus(id, 'failed', (e as Error).message);
      this.publishSummary(id);
      setImmediate(() => this.schedule());
      return;
    }
    const checkpoint = this.o.store.artifacts.latest(id);
    const resumeFrom = checkpoint && existsSync(checkpoint.path) ? checkpoint.path : null;
    try {
      // Room for two checkpoints (the new one is written before the old one goes) and the run's records.
      requireFreeSpace(this.runDir(id), Math.max(RUN_START_MARGIN_BYTES, 2 * (checkpoint?.size ?? 0) + RUN_START_MARGIN_BYTES / 2), 'start this run');
      this.o.store.runs.setStatus(id, 'running');
    } catch (e) {
      if (!isStorageFault(e)) throw e;
      // A full disk pauses the run with the reason; a failed write leaves it queued until the disk recovers.
      if (e instanceof NotEnoughSpaceError) this.setStatus(id, 'paused', e.message);
      else this.storage.noteFault(e);
      this.publishSummary(id);
      return;
    }
    // A run that trained before but left no checkpoint starts over: say so rather than a second 'Started.'.
    this.log(id, 'info', resumeFrom ? 'Resuming from the last checkpoint.' : run.startedAt !== null ? 'Restarted from the beginning (no checkpoint was saved).' : 'Started.');
    const active: ActiveRun = { id, handle: null as unknown as JobHandle, buffer: [], cancelRequested: false, killTimer: null, storagePause: null };
    this.active = active;
    try {
      active.handle = this.o.backend.start(
        { config: run.config, data, runDir: this.runDir(id), resumeFrom, appVersion: this.o.appVersion, benchmarkTable: this.o.benchmarkTable?.() ?? null },
        { onEvent: (e) => this.onEvent(active, e), onExit: (x) => this.onExit(active, x) },
      );
    } catch (e) {
      this.active = null;
      this.setStatus(id, 'failed', (e as Error).message);
      this.publishSummary(id);
      return;
    }
    this.publishSummary(id);
  }

  private onEvent(active: ActiveRun, event: TrainerEvent): void {
    active.buffer.push(event);
    if (event.type === 'checkpoint') this.pruneCheckpoints(active.id, event.path);
    this.publish({ type: 'run.event', runId: active.id, event });
    // The list's row changes with progress (throttled), the best accuracy (epoch metrics) and the result.
    const now = Date.now();
    const changesSummary =
      (event.type === 'progress' && now - this.lastSummaryAt > SUMMARY_THROTTLE_MS) ||
      event.type === 'result' ||
      (event.type === 'metrics' && 'val_acc' in event.values);
    if (changesSummary) {
      this.lastSummaryAt = now;
      this.flush();
      this.publishSummary(active.id);
    }
  }

  private pruneCheckpoints(id: number, newest: string): void {
    const dir = join(this.runDir(id), 'checkpoints');
    if (!existsSync(dir)) return;
    try {
      this.removeOldCheckpoints(dir, newest);
    } catch (e) {
      console.error(`Could not remove old checkpoints of run ${id}: ${(e as Error).message}`);
    }
  }

  private removeOldCheckpoints(dir: string, newest: string): void {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.ckpt'))
      .sort(); // names encode epoch and step with zero padding
    const keep = new Set(files.slice(-CHECKPOINTS_KEPT).map((f) => join(dir, f)).concat(newest));
    for (const f of files) if (!keep.has(join(dir, f))) rmSync(join(dir, f), { force: true });
  }

  /** Writes buffered events in one transaction. Called on a timer and before every status change. */
  flush(): void {
    const a = this.active;
    if (!a || a.buffer.length === 0) return;
    const batch = a.buffer;
    a.buffer = [];
    if (this.storage.record(a.id, { time: Date.now(), events: batch }) || a.storagePause) return;
    // The disk refused the events (they wait in memory and the spool file): pause at a checkpoint rather than
    // train on with nowhere to record the results.
    a.storagePause = this.storage.fault;
    this.publish({ type: 'run.event', runId: a.id, event: { type: 'log', level: 'warn', message: `${a.storagePause!.reason} Pausing the run.` } });
    a.handle.pause();
  }

  private onExit(active: ActiveRun, exit: JobExit): void {
    this.flush();
    if (active.killTimer) clearTimeout(active.killTimer);
    const id = active.id;
    const status =
      exit.status === 'completed'
        ? 'completed'
        : exit.status === 'paused'
          ? 'paused'
          : exit.status === 'stopped' || active.cancelRequested
            ? 'cancelled'
            : 'failed';
    // A pause forced by the disk (the run manager's writes, or the trainer's checkpoint) keeps its reason.
    const storagePause = status === 'paused' && active.storagePause ? `${active.storagePause.reason} ${active.storagePause.fix}` : null;
    const pauseReason = status === 'paused' && exit.error ? [exit.error, exit.hint].filter(Boolean).join(' ') : storagePause;
    const error = status === 'failed' ? [exit.error ?? 'The run failed.', exit.hint].filter(Boolean).join(' ') : pauseReason;
    this.setStatus(id, status, error);
    this.log(id, status === 'failed' ? 'error' : pauseReason ? 'warn' : 'info', error ?? (status === 'completed' ? this.completionLine(id) : `Run ${status}.`));
    // On a full disk, the reserve's space lets the waiting events and the paused status through now.
    if (this.storage.fault) this.storage.flushWithReserve();
    this.active = null;
    this.publishSummary(id);
    this.schedule();
  }

  /** Stored with the run, so it survives a reload; the time is the run's training time, pauses excluded. */
  private completionLine(id: number): string {
    const run = this.o.store.runs.summary(id);
    if (!run) return 'Run completed.';
    // A dry run takes seconds and trains nothing: its time in tenths, its result is in the benchmark panel.
    if (run.kind === 'dry-run') return `Dry run finished in ${(run.activeMs / 1000).toFixed(1)} s.`;
    const s = Math.round(run.activeMs / 1000);
    const time = s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
    if (run.kind === 'retrain') {
      const test = run.testAccuracy === null ? '' : `; test accuracy ${(100 * run.testAccuracy).toFixed(2)}%`;
      return `Retrain finished after ${time} of training${test}.`;
    }
    const best = run.bestAccuracy === null ? '' : `; best val accuracy ${(100 * run.bestAccuracy).toFixed(2)}%`;
    return `Search finished after ${time} of training${best}.`;
  }

  cancel(id: number): void | Promise<void> {
    const run = this.requireRun(id);
    if (['queued', 'running'].includes(run.status)) {
      const remote = this.remoteOf(id);
      if (remote) return remote.cancel(id);
    }
    if (this.active?.id === id) {
      const a = this.active;
      a.cancelRequested = true;
      a.handle.stop();
      // A step of a large model can take a while; cancel must not wait on it for long.
      a.killTimer = setTimeout(() => a.handle.kill(), STOP_GRACE_MS);
      return;
    }
    if (run.status !== 'queued' && run.status !== 'paused') {
      throw new ConflictError(`Run ${id} is ${run.status}; only queued, running or paused runs can be cancelled.`);
    }
    this.userWrite(() => this.o.store.runs.setStatus(id, 'cancelled'));
    this.publishSummary(id);
  }

  pause(id: number): void | Promise<void> {
    const remote = this.active?.id === id ? null : this.remoteOf(id);
    if (remote) return remote.pause(id);
    if (this.active?.id !== id) {
      this.requireRun(id); // an unknown run is a 404, not a wrong state
      throw new ConflictError(`Run ${id} is not running, so it cannot be paused.`);
    }
    this.active.handle.pause();
  }

  resume(id: number): void {
    const run = this.requireRun(id);
    if (!['paused', 'failed', 'cancelled'].includes(run.status)) {
      throw new ConflictError(`Run ${id} is ${run.status}; only paused, failed or cancelled runs can be resumed.`);
    }
    const remote = this.remoteOf(id);
    if (remote) return this.submitRemote(id); // the next attempt, from the last checkpoint
    this.userWrite(() => this.o.store.runs.setStatus(id, 'queued'));
    this.publishSummary(id);
    this.schedule();
  }

  delete(id: number): void {
    this.requireRun(id);
    if (this.active?.id === id || this.o.store.runs.summary(id)?.status === 'running') throw new ConflictError(`Run ${id} is running; cancel it before deleting it.`);
    this.userWrite(() => this.o.store.runs.delete(id));
    rmSync(this.runDir(id), { recursive: true, force: true });
    this.publish({ type: 'run.deleted', runId: id });
  }

  /** The run being trained, if any. */
  activeRunId(): number | null {
    return this.active?.id ?? null;
  }

  /** Test hook and crash drill: the pid of the training process of the active run. */
  activePid(): number | undefined {
    return this.active?.handle.pid;
  }

  private requireRun(id: number) {
    const run = this.o.store.runs.get(id);
    if (!run) throw new NotFoundError(`There is no run ${id}.`);
    return run;
  }

  /** Stops the active run (it stays resumable) and the timers. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.flushTimer);
    const a = this.active;
    if (!a) return this.storage.close();
    await new Promise<void>((resolve) => {
      const done = setTimeout(resolve, SHUTDOWN_GRACE_MS + 1000);
      const orig = this.onExit.bind(this);
      this.onExit = (active, exit) => {
        orig(active, exit);
        clearTimeout(done);
        resolve();
      };
      a.handle.pause();
      a.killTimer = setTimeout(() => a.handle.kill(), SHUTDOWN_GRACE_MS);
    });
    this.storage.close();
  }
}
