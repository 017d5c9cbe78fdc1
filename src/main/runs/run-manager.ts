import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PushEvent } from '../../shared/api';
import type { SearchConfig } from '../../shared/config';
import type { TrainerEvent } from '../../shared/events';
import type { DataReference } from '../nas/job';
import type { Store } from '../store/store';
import type { ExecutionBackend, JobExit, JobHandle } from './execution-backend';

// Queue and supervisor of runs. One run trains at a time (a second would halve both on a CPU); the others
// wait as 'queued'. Trainer events are forwarded live and written to SQLite in batches, and every batch is
// flushed before a status change, so nothing a trainer reported is lost when it dies.

const FLUSH_MS = 250;
const SUMMARY_THROTTLE_MS = 1000;
const STOP_GRACE_MS = 5000;
/** On app shutdown the running step must finish to write its checkpoint; one step of a large supernet on a
 * CPU can take a minute. */
const SHUTDOWN_GRACE_MS = 120_000;
/** Checkpoint files kept per run: the newest is what resume needs; one more survives a torn last write. */
const CHECKPOINTS_KEPT = 2;

interface ActiveRun {
  id: number;
  handle: JobHandle;
  buffer: TrainerEvent[];
  cancelRequested: boolean;
  killTimer: NodeJS.Timeout | null;
}

export interface RunManagerOptions {
  store: Store;
  backend: ExecutionBackend;
  dataDir: string;
  appVersion: string;
  /** Resolves a dataset id (the config's `dataset`) to files. */
  resolveDataset(config: SearchConfig): { ref: DataReference; id: number; name: string };
}

export class RunManager {
  private active: ActiveRun | null = null;
  private readonly listeners = new Set<(e: PushEvent) => void>();
  private flushTimer: NodeJS.Timeout;
  private lastSummaryAt = 0;
  private closing = false;
  /** Runs found 'running' at start-up: the app stopped while they trained. */
  readonly interruptedRuns: number[];

  constructor(private readonly o: RunManagerOptions) {
    this.interruptedRuns = o.store.runs.markInterrupted();
    this.flushTimer = setInterval(() => this.flush(), FLUSH_MS);
    this.flushTimer.unref();
    setImmediate(() => this.schedule());
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
    this.o.store.logs.add(id, { time: Date.now(), level, message });
    this.publish({ type: 'run.event', runId: id, event: { type: 'log', level, message } });
  }

  private publishSummary(id: number): void {
    const run = this.o.store.runs.summary(id);
    if (run) this.publish({ type: 'run.updated', run });
  }

  create(config: SearchConfig): number {
    const dataset = this.o.resolveDataset(config);
    const id = this.o.store.runs.create(config, { id: dataset.id, name: dataset.name }, { status: 'queued', name: config.name });
    this.publishSummary(id);
    this.schedule();
    return id;
  }

  runDir(id: number): string {
    return join(this.o.dataDir, 'runs', String(id));
  }

  private schedule(): void {
    if (this.active || this.closing) return;
    const next = this.o.store.runs.list({ status: 'queued', sort: 'createdAt', direction: 'asc' })[0];
    if (next) this.startRun(next.id);
  }

  private startRun(id: number): void {
    const run = this.o.store.runs.get(id);
    if (!run) return;
    let data: DataReference;
    try {
      data = this.o.resolveDataset(run.config).ref;
    } catch (e) {
      this.o.store.runs.setStatus(id, 'failed', { error: (e as Error).message });
      this.publishSummary(id);
      setImmediate(() => this.schedule());
      return;
    }
    const checkpoint = this.o.store.artifacts.latest(id);
    const resumeFrom = checkpoint && existsSync(checkpoint.path) ? checkpoint.path : null;
    this.o.store.runs.setStatus(id, 'running');
    this.log(id, 'info', resumeFrom ? 'Resuming from the last checkpoint.' : 'Started.');
    const active: ActiveRun = { id, handle: null as unknown as JobHandle, buffer: [], cancelRequested: false, killTimer: null };
    this.active = active;
    try {
      active.handle = this.o.backend.start(
        { config: run.config, data, runDir: this.runDir(id), resumeFrom, appVersion: this.o.appVersion },
        { onEvent: (e) => this.onEvent(active, e), onExit: (x) => this.onExit(active, x) },
      );
    } catch (e) {
      this.active = null;
      this.o.store.runs.setStatus(id, 'failed', { error: (e as Error).message });
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
    try {
      this.o.store.ingest(a.id, batch);
    } catch (e) {
      // Keep the events for the next attempt (e.g. a disk that was full) rather than dropping them.
      a.buffer = batch.concat(a.buffer);
      console.error(`Could not save events of run ${a.id}: ${(e as Error).message}`);
    }
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
    const error = status === 'failed' ? [exit.error ?? 'The run failed.', exit.hint].filter(Boolean).join(' ') : null;
    this.o.store.runs.setStatus(id, status, { error });
    this.log(id, status === 'failed' ? 'error' : 'info', status === 'failed' ? error! : `Run ${status}.`);
    this.active = null;
    this.publishSummary(id);
    this.schedule();
  }

  cancel(id: number): void {
    const run = this.requireRun(id);
    if (this.active?.id === id) {
      const a = this.active;
      a.cancelRequested = true;
      a.handle.stop();
      // A step of a large model can take a while; cancel must not wait on it for long.
      a.killTimer = setTimeout(() => a.handle.kill(), STOP_GRACE_MS);
      return;
    }
    if (run.status !== 'queued' && run.status !== 'paused') {
      throw new Error(`Run ${id} is ${run.status}; only queued, running or paused runs can be cancelled.`);
    }
    this.o.store.runs.setStatus(id, 'cancelled');
    this.publishSummary(id);
  }

  pause(id: number): void {
    if (this.active?.id !== id) throw new Error(`Run ${id} is not running, so it cannot be paused.`);
    this.active.handle.pause();
  }

  resume(id: number): void {
    const run = this.requireRun(id);
    if (!['paused', 'failed', 'cancelled'].includes(run.status)) {
      throw new Error(`Run ${id} is ${run.status}; only paused, failed or cancelled runs can be resumed.`);
    }
    this.o.store.runs.setStatus(id, 'queued');
    this.publishSummary(id);
    this.schedule();
  }

  delete(id: number): void {
    this.requireRun(id);
    if (this.active?.id === id) throw new Error(`Run ${id} is running; cancel it before deleting it.`);
    this.o.store.runs.delete(id);
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
    if (!run) throw new Error(`There is no run ${id}.`);
    return run;
  }

  /** Stops the active run (it stays resumable) and the timers. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.flushTimer);
    const a = this.active;
    if (!a) return;
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
  }
}
