import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DISPATCH_PROTOCOL_VERSION, type WorkerCapabilities } from '../../shared/dispatch';
import type { ExecutionBackend } from '../runs/execution-backend';
import { LocalProcessBackend } from '../runs/local-process-backend';
import type { WorkerFiles } from './files';
import { beat, leave } from './liveness';
import { SHARED_QUEUE, encodeEntry, streamKey, workerQueue, type DispatchJobData } from './protocol';
import { connectRedis, type RedisTarget } from './redis';
import { versionProblem, workerCapabilities } from './worker-capabilities';
import { WorkerJob } from './worker-job';

// Worker mode (`nas-studio worker`): takes runs from the lab's queue (the shared one and its own named one),
// one at a time, and trains each in the same trainer process the app uses locally. Its liveness key says it is
// there; its BullMQ lock on the job says it still trains it: a worker that dies or is cut off loses the lock,
// and the coordinator gives the run to another worker as the next attempt.

export interface DispatchTimings {
  /** How long a job's lock lasts without renewal (BullMQ renews it at half that). */
  lockMs: number;
  /** How often workers look for jobs whose lock expired. */
  stalledCheckMs: number;
  heartbeatMs: number;
  controlPollMs: number;
}

/** How long leaving the lab waits for Redis before it goes anyway. */
const CLOSE_WAIT_MS = 5000;

export const DEFAULT_TIMINGS: DispatchTimings = { lockMs: 30_000, stalledCheckMs: 15_000, heartbeatMs: 5_000, controlPollMs: 1_000 };

export interface DispatchWorkerOptions {
  redis: RedisTarget;
  name: string;
  files: WorkerFiles;
  /** The built trainer (out/main/trainer.js), when `backend` is not given. */
  trainerScript?: string;
  backend?: ExecutionBackend;
  /** Where runs' checkpoints are written on this machine. */
  workDir: string;
  appVersion: string;
  capabilities?: Partial<WorkerCapabilities>;
  /** The Redis user it logs in as (shown to the coordinator, which can revoke it). */
  redisUser?: string | null;
  /** Its download cache (pruned to `cacheBytes` after each job); without it the cache is left alone. */
  cacheDir?: string;
  cacheBytes?: number;
  timings?: Partial<DispatchTimings>;
  log?: (line: string) => void;
}

export class DispatchWorker {
  private readonly redis: Redis;
  private readonly workers: Worker[] = [];
  /** BullMQ never closes a connection it is handed (it counts as shared): close() disconnects these. */
  private readonly queueConnections: Redis[] = [];
  private readonly backend: ExecutionBackend;
  private readonly capabilities: WorkerCapabilities;
  private readonly t: DispatchTimings;
  private busy: number | null = null;
  private job: WorkerJob | null = null;
  private problem: string | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(private readonly o: DispatchWorkerOptions) {
    this.t = { ...DEFAULT_TIMINGS, ...o.timings };
    this.redis = connectRedis(o.redis);
    if (!o.backend && !o.trainerScript) throw new Error('DispatchWorker needs a trainer script or a backend.');
    this.backend = o.backend ?? new LocalProcessBackend(o.trainerScript!);
    this.capabilities = { ...workerCapabilities(o.appVersion), ...o.capabilities };
  }

  async start(): Promise<void> {
    await this.sendBeat();
    this.heartbeat = setInterval(
      () =>
        void this.sendBeat().then(
          () => (this.lastError = null), // Redis answers again: the next outage is news
          () => undefined,
        ),
      this.t.heartbeatMs,
    );
    for (const queue of [workerQueue(this.o.name), SHARED_QUEUE]) {
      const connection = connectRedis(this.o.redis);
      this.queueConnections.push(connection);
      const worker = new Worker<DispatchJobData>(queue, (job, token) => this.process(job, token), {
        connection,
        concurrency: 1,
        lockDuration: this.t.lockMs,
        stalledInterval: this.t.stalledCheckMs,
        // A stalled job is not handed out again under the same attempt: it fails, and the coordinator
        // dispatches the next attempt (a new fence) from the last checkpoint.
        maxStalledCount: 0,
        removeOnFail: { age: 7 * 24 * 3600 },
      });
      worker.on('error', (e) => this.logOnce(`Queue connection: ${e.message}`));
      this.workers.push(worker);
    }
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
    this.o.log?.(`Worker ${this.o.name} is ready for runs.`);
  }

  private async process(job: Job<DispatchJobData>, token: string | undefined): Promise<string> {
    const data = job.data;
    if (this.busy !== null) {
      // Its other queue handed it a job at the same moment: one run at a time, so this one waits its turn.
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    }
    const refused = versionProblem(data, { protocol: DISPATCH_PROTOCOL_VERSION, appVersion: this.o.appVersion }, this.o.name);
    if (refused) {
      this.problem = refused;
      this.o.log?.(refused);
      await this.redis.xadd(streamKey(data.runId), '*', ...encodeEntry(data.attempt, 1, { kind: 'done', exit: { status: 'failed', error: refused } }));
      void this.sendBeat();
      return 'refused';
    }
    this.busy = data.runId;
    void this.sendBeat();
    this.o.log?.(`Run ${data.runId}, attempt ${data.attempt}: training.`);
    try {
      this.job = new WorkerJob(data, {
        redis: this.redis,
        worker: this.o.name,
        files: this.o.files,
        backend: this.backend,
        workDir: this.o.workDir,
        controlPollMs: this.t.controlPollMs,
        cacheDir: this.o.cacheDir ?? null,
        cacheBytes: this.o.cacheBytes,
      });
      const work = this.job;
      const exit = await work.run();
      // Failing the job (not completing it) tells the coordinator at once to dispatch the next attempt.
      if (work.abandoned) throw new Error(`worker ${this.o.name} left the lab while training it`);
      this.o.log?.(`Run ${data.runId}, attempt ${data.attempt}: ${exit.status}.`);
      return exit.status;
    } finally {
      this.job = null;
      this.busy = null;
      void this.sendBeat().catch(() => undefined);
    }
  }

  /** An outage repeats the same error every reconnect (each second): say it once until something else happens. */
  private lastError: string | null = null;
  private logOnce(line: string): void {
    if (/WRONGPASS|user is disabled|NOPERM/.test(line)) {
      line = "Redis refuses this worker's credentials: the lab's coordinator revoked it (or its user was removed). Stop it (Ctrl+C) and join again with a new join code.";
    }
    if (line === this.lastError) return;
    this.lastError = line;
    this.o.log?.(line);
  }

  private sendBeat(): Promise<void> {
    const state = this.busy !== null ? 'busy' : this.problem ? 'refused' : 'idle';
    return beat(this.redis, this.o.name, { state, capabilities: this.capabilities, runId: this.busy, problem: this.problem, user: this.o.redisUser ?? null }, this.t.heartbeatMs * 3);
  }

  /**
   * Stops taking jobs; a running job's trainer is stopped and the job failed (the coordinator moves the run
   * at once), unless `wait`. Without `wait` it takes at most CLOSE_WAIT_MS: with Redis gone, neither BullMQ's
   * close nor the goodbye ever gets an answer, and one Ctrl+C must still end the worker.
   */
  async close(wait = false): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (!wait) this.job?.abandon();
    const polite = (async () => {
      // Not forced: the abandoned job ends within moments and is recorded as failed before the queues close.
      await Promise.all(this.workers.map((w) => w.close().catch(() => undefined)));
      await leave(this.redis, this.o.name).catch(() => undefined);
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), CLOSE_WAIT_MS)));
    const result = wait ? await polite : await Promise.race([polite, late]);
    clearTimeout(timer);
    if (result === 'late') this.o.log?.(`Could not tell Redis within ${CLOSE_WAIT_MS / 1000} s that this worker leaves; leaving anyway (the coordinator lists it offline once its key expires).`);
    this.redis.disconnect();
    for (const c of this.queueConnections) c.disconnect();
  }
}
