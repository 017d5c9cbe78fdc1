import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PushEvent } from '../../shared/api';
import { isDryRun, type SearchConfig } from '../../shared/config';
import { DISPATCH_PROTOCOL_VERSION, type WorkerInfo } from '../../shared/dispatch';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DataReference } from '../nas/job';
import type { SpdDataReference } from '../nas/data/spd-sets';
import { ConflictError } from '../app-errors';
import type { Store } from '../store/store';
import type { CoordinatorFiles } from './files';
import { ingestEntries } from './ingest';
import { listWorkers, markRevoked } from './liveness';
import { controlKey, jobId, queueFor, streamKey, type ControlCommand, type DispatchJobData, type FileRef, type SpdPayload } from './protocol';
import { connectRedis, type RedisTarget } from './redis';

// The coordinator side of dispatch (issue 13): puts each attempt of a run on BullMQ, reads every run's event
// stream into SQLite from a cursor kept there, notices a worker that lost its lock (died or cut off) and
// dispatches the next attempt from the last checkpoint, and passes pause/cancel to the worker through the
// run's control hash. SQLite stays the source of truth: a restarted coordinator continues from it.

export interface DispatchCoordinatorOptions {
  store: Store;
  redis: RedisTarget;
  files: CoordinatorFiles;
  appVersion: string;
  resolveDataset(config: SearchConfig): { ref: DataReference };
  /** The imported NAS-Bench-201 table runs score with, or null for the built-in one. */
  benchmarkTable?: () => string | null;
  /** How often streams are read (ms). */
  pollMs?: number;
  /** How often jobs are checked for a lost lock (ms). */
  lostCheckMs?: number;
  /** Attempts before a run that keeps losing its worker fails. */
  maxAttempts?: number;
  /** How long a finished run's stream and control hash stay in Redis (ms; default a day). */
  finishedTtlMs?: number;
  log?: (line: string) => void;
}

const READ_COUNT = 1000;
/** How long close() waits for Redis. */
const CLOSE_WAIT_MS = 5000;
const FINISHED: ReadonlySet<string> = new Set(['completed', 'cancelled', 'failed']);

export class DispatchCoordinator {
  private readonly redis: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly queueConnections: Redis[] = [];
  private readonly listeners = new Set<(e: PushEvent) => void>();
  private readonly published = new Map<string, Promise<FileRef>>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private lastLostCheck = 0;
  /** Runs whose attempt is being put on Redis: their job may not exist yet. */
  private readonly dispatching = new Set<number>();
  private closed = false;

  constructor(private readonly o: DispatchCoordinatorOptions) {
    this.redis = connectRedis(o.redis);
  }

  /** Resumes every run a previous session left on workers (idempotent), then follows their streams. */
  async start(): Promise<void> {
    for (const run of this.o.store.dispatch.activeRemote()) {
      const current = this.o.store.dispatch.current(run.id);
      if (current && current.outcome === null) await this.publishAttempt(run.id, current.attempt);
      else await this.submit(run.id);
    }
    this.schedule();
  }

  onPush(listener: (e: PushEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Dispatches the run's next attempt, from its last checkpoint (a new run, a resume, a lost worker). */
  async submit(runId: number, note: string | null = null): Promise<number> {
    const checkpoint = this.o.store.artifacts.latest(runId);
    const attempt = this.o.store.transaction(() => {
      const current = this.o.store.dispatch.current(runId);
      const next = (current?.attempt ?? 0) + 1;
      if (current && current.outcome === null) this.o.store.dispatch.end(runId, current.attempt, 'lost', note);
      this.o.store.dispatch.addAttempt(runId, next, checkpoint?.epoch ?? null, note);
      if (this.o.store.runs.summary(runId)?.status !== 'queued') this.o.store.runs.setStatus(runId, 'queued');
      return next;
    });
    this.dispatching.add(runId);
    try {
      await this.publishAttempt(runId, attempt);
    } finally {
      this.dispatching.delete(runId);
    }
    this.publishSummary(runId);
    return attempt;
  }

  /** The attempt's fence and job on Redis; safe to repeat (BullMQ ignores a job id it already has). */
  private async publishAttempt(runId: number, attempt: number): Promise<void> {
    const run = this.o.store.runs.get(runId);
    if (!run) return;
    const where = this.o.store.dispatch.where(runId) ?? 'any';
    const data = await this.payload(runId, attempt, run.config);
    // A resumed run's keys may be counting down from its earlier end: they must outlive this attempt.
    await this.redis.multi().persist(streamKey(runId)).persist(controlKey(runId)).exec();
    const known = Number(await this.redis.hget(controlKey(runId), 'attempt'));
    if (!(known >= attempt)) await this.redis.hset(controlKey(runId), { attempt: String(attempt), command: 'run' });
    await this.queue(where).add('run', data, {
      jobId: jobId(runId, attempt),
      attempts: 1,
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  private async payload(runId: number, attempt: number, config: SearchConfig): Promise<DispatchJobData> {
    const checkpoint = this.o.store.artifacts.latest(runId);
    let data: DispatchJobData['data'] = null;
    if (!isDryRun(config)) {
      const ref = this.o.resolveDataset(config).ref;
      if (ref.kind === 'spd') return this.jobData(runId, attempt, config, await this.spdPayload(ref), checkpoint);
      const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([ref.trainImages, ref.trainLabels, ref.testImages, ref.testLabels].map((p) => (p ? this.publish(p) : undefined)));
      data = { name: ref.name, trainImages: trainImages!, trainLabels: trainLabels!, ...(testImages && testLabels ? { testImages, testLabels } : {}) };
    }
    return this.jobData(runId, attempt, config, data, checkpoint);
  }

  private async jobData(runId: number, attempt: number, config: SearchConfig, data: DispatchJobData['data'], checkpoint: { path: string; epoch: number | null } | null | undefined): Promise<DispatchJobData> {
    const table = this.o.benchmarkTable?.() ?? null;
    return {
      protocol: DISPATCH_PROTOCOL_VERSION,
      appVersion: this.o.appVersion,
      runId,
      attempt,
      config,
      data,
      benchmarkTable: table ? await this.publish(table) : null,
      resumeFrom: checkpoint ? { ...(await this.publish(checkpoint.path)), epoch: checkpoint.epoch } : null,
    };
  }

  private async spdPayload(ref: SpdDataReference): Promise<SpdPayload> {
    if (ref.builtin || !ref.packedDir) return { kind: 'spd', name: ref.name, builtin: ref.builtin };
    const dir = ref.packedDir;
    const files: Record<string, FileRef> = {};
    for (const name of readdirSync(dir).sort()) files[name] = await this.publish(join(dir, name));
    return { kind: 'spd', name: ref.name, files };
  }

  /** Hashes a dataset file once per session (a data set does not change under its path). */
  private publish(path: string): Promise<FileRef> {
    let ref = this.published.get(path);
    if (!ref) this.published.set(path, (ref = this.o.files.publish(path)));
    return ref;
  }

  private queue(where: string): Queue {
    const name = queueFor(where);
    let q = this.queues.get(name);
    if (!q) {
      // BullMQ never closes a connection it was handed (it counts as shared): close() disconnects it.
      const connection = connectRedis(this.o.redis);
      this.queueConnections.push(connection);
      this.queues.set(name, (q = new Queue(name, { connection })));
      // Unheard, BullMQ prints each reconnect error with its stack (one a second while Redis is down).
      q.on('error', (e) => this.logOnce(`Dispatch queue: ${e.message}`));
    }
    return q;
  }

  async pause(runId: number): Promise<void> {
    const run = this.o.store.runs.summary(runId);
    if (run?.status !== 'running') throw new ConflictError(`Run ${runId} is not running, so it cannot be paused.`);
    await this.command(runId, 'pause');
  }

  /** Cancel: a waiting job is removed at once; a running one is stopped by its worker (and not retried). */
  async cancel(runId: number): Promise<void> {
    const current = this.o.store.dispatch.current(runId);
    await this.command(runId, 'stop');
    const job = current ? await this.queue(this.o.store.dispatch.where(runId) ?? 'any').getJob(jobId(runId, current.attempt)) : null;
    if (job && ['waiting', 'delayed', 'prioritized'].includes(await job.getState())) await job.remove().catch(() => undefined);
    // A worker trains it: the worker stops it and sends the 'stopped' end (the command stays for a late pick-up).
    if (job && (await job.getState()) === 'active') return;
    this.o.store.transaction(() => {
      if (current) this.o.store.dispatch.end(runId, current.attempt, 'cancelled', null);
      this.o.store.runs.setStatus(runId, 'cancelled');
    });
    this.publishSummary(runId);
    await this.expire(runId);
  }

  private async command(runId: number, command: ControlCommand): Promise<void> {
    await this.redis.hset(controlKey(runId), 'command', command);
  }

  async workers(): Promise<WorkerInfo[]> {
    return listWorkers(this.redis);
  }

  /** Lists these workers as revoked (the caller switched their Redis user off). */
  async markRevoked(names: string[]): Promise<void> {
    await markRevoked(this.redis, names);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((e) => this.o.log?.(`Dispatch: ${(e as Error).message}`))
        .finally(() => {
          this.ticking = null;
          this.schedule();
        });
    }, this.o.pollMs ?? 200);
  }

  /** One pass: read every active remote run's stream, then (now and then) look for lost jobs. */
  async tick(): Promise<void> {
    for (const run of this.o.store.dispatch.activeRemote()) await this.readStream(run.id);
    const now = Date.now();
    if (now - this.lastLostCheck < (this.o.lostCheckMs ?? 1000)) return;
    this.lastLostCheck = now;
    for (const run of this.o.store.dispatch.activeRemote()) await this.checkLost(run.id);
  }

  private async readStream(runId: number): Promise<void> {
    for (;;) {
      const cursor = this.o.store.dispatch.cursor(runId);
      const entries = (await this.redis.xrange(streamKey(runId), `(${cursor}`, '+', 'COUNT', READ_COUNT)) as [string, string[]][];
      this.lastError = null; // Redis answers: the next outage is news
      if (entries.length === 0) return;
      const result = ingestEntries(this.o.store, this.o.files, runId, entries);
      for (const event of result.events) this.emit({ type: 'run.event', runId, event });
      if (result.events.length || result.status) this.publishSummary(runId);
      if (result.status && FINISHED.has(result.status)) await this.expire(runId);
      if (entries.length < READ_COUNT) return;
    }
  }

  private async checkLost(runId: number): Promise<void> {
    const current = this.o.store.dispatch.current(runId);
    if (!current || current.outcome !== null || this.dispatching.has(runId)) return;
    const queue = this.queue(this.o.store.dispatch.where(runId) ?? 'any');
    const job = await queue.getJob(jobId(runId, current.attempt));
    let state = job ? await job.getState() : 'unknown';
    if (state === 'active' && (await this.lockLost(queue, job!))) state = 'failed';
    if (state !== 'failed' && state !== 'unknown' && state !== 'completed') return;
    if (state === 'completed') return; // its 'done' is on the stream: read on the next pass
    // Its worker died or was cut off (lock lost: BullMQ failed the stalled job), or the job vanished.
    await this.readStream(runId); // whatever it sent before it went
    const after = this.o.store.dispatch.current(runId);
    if (!after || after.attempt !== current.attempt || after.outcome !== null) return;
    const worker = after.worker ?? 'a worker';
    const reason = job?.failedReason && !/stalled/i.test(job.failedReason) ? job.failedReason : `worker ${worker} stopped answering (it died or was cut off)`;
    const command = await this.redis.hget(controlKey(runId), 'command');
    if (command === 'stop' || command === 'kill') {
      this.finishWithout(runId, current.attempt, 'cancelled', 'cancelled', `Cancelled; ${reason}.`);
    } else if (current.attempt >= (this.o.maxAttempts ?? 5)) {
      this.finishWithout(runId, current.attempt, 'lost', 'failed', `The run lost its worker ${current.attempt} times; the last time ${reason}. Resume it to try again.`);
    } else {
      this.o.log?.(`Run ${runId}: ${reason}; dispatching attempt ${current.attempt + 1}.`);
      this.o.store.ingest(runId, [{ type: 'log', level: 'warn', message: `Attempt ${current.attempt} lost: ${reason}. The run continues as attempt ${current.attempt + 1} from its last checkpoint.` }]);
      await this.submit(runId, reason);
    }
  }

  /**
   * An active job whose lock expired: its worker died or was cut off. BullMQ notices that only in a worker
   * of the same queue, and a named worker's queue has no other worker: without this a run sent to a worker
   * that died (or cancelled there) would stay 'running' until that worker came back.
   */
  private async lockLost(queue: Queue, job: Job): Promise<boolean> {
    if (await this.redis.exists(`${queue.toKey(job.id!)}:lock`)) return false;
    return (await job.getState()) === 'active'; // not just finished between the two looks
  }

  /**
   * A finished run's stream and control hash expire: SQLite holds all of it (the cursor is past its last
   * entry), and a restart reads only active runs. They stay a while for a zombie worker, which reads its
   * fence there when it reconnects, and for a look at what was sent.
   */
  private async expire(runId: number): Promise<void> {
    const ttl = this.o.finishedTtlMs ?? 24 * 3600_000;
    await this.redis.multi().pexpire(streamKey(runId), ttl).pexpire(controlKey(runId), ttl).exec();
  }

  private finishWithout(runId: number, attempt: number, outcome: 'cancelled' | 'lost', status: 'cancelled' | 'failed', message: string): void {
    this.o.store.transaction(() => {
      this.o.store.dispatch.end(runId, attempt, outcome, message);
      this.o.store.runs.setStatus(runId, status, { error: status === 'failed' ? message : null });
      this.o.store.ingest(runId, [{ type: 'log', level: status === 'failed' ? 'error' : 'info', message }]);
    });
    this.publishSummary(runId);
    void this.expire(runId).catch(() => undefined);
  }

  private publishSummary(runId: number): void {
    const run = this.o.store.runs.summary(runId);
    if (run) this.emit({ type: 'run.updated', run });
  }

  private lastError: string | null = null;
  private logOnce(line: string): void {
    if (line === this.lastError) return;
    this.lastError = line;
    this.o.log?.(line);
  }

  private emit(e: PushEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Stops following the streams; with Redis gone it waits CLOSE_WAIT_MS at most (its calls never return). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const polite = (async () => {
      await this.ticking;
      await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), CLOSE_WAIT_MS)));
    if ((await Promise.race([polite, late])) === 'late') this.o.log?.(`Redis did not answer within ${CLOSE_WAIT_MS / 1000} s; the coordinator stops without it.`);
    clearTimeout(timer);
    for (const c of this.queueConnections) c.disconnect();
    this.redis.disconnect();
  }
}
