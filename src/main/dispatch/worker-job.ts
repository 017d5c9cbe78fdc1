import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { TrainerEvent } from '../../shared/events';
import type { DataReference } from '../nas/job';
import type { ExecutionBackend, JobExit, JobHandle } from '../runs/execution-backend';
import type { WorkerFiles } from './files';
import { pruneAfterJob } from './worker-cache';
import { controlKey, encodeEntry, streamKey, type ControlCommand, type DispatchJobData, type FileRef, type SpdPayload, type StreamEntry } from './protocol';

// One dispatch of a run on a worker: fetch its files by sha256, train it in the same trainer process the app
// uses locally, and put every event on the run's stream with the attempt and a sequence number. The control
// hash is polled: a 'pause'/'stop'/'kill' is obeyed, and a newer attempt there means this one was given up
// (the worker was cut off and the run moved): the trainer is killed and nothing more is sent.

const STOP_GRACE_MS = 5000;

export interface WorkerJobOptions {
  redis: Redis;
  worker: string;
  files: WorkerFiles;
  backend: ExecutionBackend;
  workDir: string;
  controlPollMs: number;
  /** The download cache to prune after the job (null: leave it), and its size. */
  cacheDir?: string | null;
  cacheBytes?: number;
}

export class WorkerJob {
  private seq = 0;
  private outbox: StreamEntry[] = [];
  private sending: Promise<void> = Promise.resolve();
  private handle: JobHandle | null = null;
  private obeyed: ControlCommand = 'run';
  private stopRequested = false;
  /** A newer attempt took over: send nothing more. */
  private fenced = false;
  private killTimer: NodeJS.Timeout | null = null;
  /** The worker left the lab mid-job (abandon()). */
  abandoned = false;

  constructor(
    private readonly job: DispatchJobData,
    private readonly o: WorkerJobOptions,
  ) {}

  /** Runs the job to its end; resolves once its last event is on the stream (or the attempt was fenced). */
  async run(): Promise<JobExit> {
    try {
      return await this.attempt();
    } finally {
      this.prune();
    }
  }

  /** Leaving the lab: the trainer stops now; the coordinator moves the run once the job's lock expires. */
  abandon(): void {
    this.abandoned = true;
    this.fenced = true;
    this.handle?.kill();
  }

  private get runDir(): string {
    return join(this.o.workDir, 'runs', `${this.job.runId}-attempt-${this.job.attempt}`);
  }

  private prune(): void {
    const { data, benchmarkTable, resumeFrom } = this.job;
    const dataFiles = !data ? [] : data.kind === 'spd' ? Object.values(data.files ?? {}) : [data.trainImages, data.trainLabels, data.testImages, data.testLabels];
    const reused = [...dataFiles, benchmarkTable ?? undefined].filter((f) => f !== undefined).map((f) => f.sha256);
    try {
      pruneAfterJob(this.o.cacheDir ?? null, { runDir: this.runDir, reused, once: resumeFrom ? [resumeFrom.sha256] : [] }, this.o.cacheBytes);
    } catch (e) {
      console.error(`Run ${this.job.runId}: could not tidy the worker's folders: ${(e as Error).message}`);
    }
  }

  private async attempt(): Promise<JobExit> {
    if (await this.superseded()) return { status: 'stopped', error: 'A newer attempt of this run exists.' };
    this.push({ kind: 'started', worker: this.o.worker });
    const poll = setInterval(() => void this.pollControl(), this.o.controlPollMs);
    try {
      const exit = await this.train();
      this.push({ kind: 'done', exit });
      await this.drain();
      return exit;
    } finally {
      clearInterval(poll);
      if (this.killTimer) clearTimeout(this.killTimer);
    }
  }

  private async train(): Promise<JobExit> {
    const { job } = this;
    let data: DataReference | null;
    let resumeFrom: string | null;
    let benchmarkTable: string | null;
    try {
      data = job.data ? await this.fetchData(job.data) : null;
      resumeFrom = job.resumeFrom ? await this.o.files.fetch(job.resumeFrom) : null;
      benchmarkTable = job.benchmarkTable ? await this.o.files.fetch(job.benchmarkTable) : null;
    } catch (e) {
      return { status: 'failed', error: `Worker ${this.o.worker} could not fetch the run's files: ${(e as Error).message}`, hint: 'Check that the worker reaches the coordinator, then resume the run.' };
    }
    if (this.stopRequested || this.fenced) return { status: 'stopped' };
    const runDir = this.runDir;
    mkdirSync(runDir, { recursive: true });
    return new Promise<JobExit>((resolve) => {
      try {
        this.handle = this.o.backend.start(
          { config: job.config, data, runDir, resumeFrom, appVersion: job.appVersion, benchmarkTable },
          {
            onEvent: (event) => this.onEvent(event),
            // A stop or kill on command is a cancel, however the process ended.
            onExit: (exit) => resolve(this.stopRequested && exit.status !== 'completed' ? { status: 'stopped' } : exit),
          },
        );
      } catch (e) {
        resolve({ status: 'failed', error: (e as Error).message });
      }
      // A command that arrived while the files were fetched.
      if (this.obeyed !== 'run') this.obey(this.obeyed);
    });
  }

  private async fetchData(d: NonNullable<DispatchJobData['data']>): Promise<DataReference> {
    if (d.kind === 'spd') return this.fetchSpd(d);
    const get = (ref: FileRef | undefined) => (ref ? this.o.files.fetch(ref) : Promise.resolve(undefined));
    const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([get(d.trainImages), get(d.trainLabels), get(d.testImages), get(d.testLabels)]);
    return { name: d.name, trainImages: trainImages!, trainLabels: trainLabels!, ...(testImages && testLabels ? { testImages, testLabels } : {}) };
  }

  /** An imported SPD set's packed files, put back under their names in a folder named by their contents. */
  private async fetchSpd(d: SpdPayload): Promise<DataReference> {
    if (!d.files) return { kind: 'spd', name: d.name, builtin: d.builtin };
    const names = Object.keys(d.files).sort();
    const id = createHash('sha256').update(names.map((n) => `${n}:${d.files![n]!.sha256}`).join('\n')).digest('hex').slice(0, 32);
    const dir = join(this.o.workDir, 'spd-sets', id);
    mkdirSync(dir, { recursive: true });
    for (const name of names) {
      const target = join(dir, name);
      if (!existsSync(target)) copyFileSync(await this.o.files.fetch(d.files[name]!), target);
    }
    return { kind: 'spd', name: d.name, packedDir: dir };
  }

  private onEvent(event: TrainerEvent): void {
    if (event.type !== 'checkpoint') return this.push({ kind: 'event', event });
    // The coordinator must hold the checkpoint before it hears of it: upload, then send, in order.
    const upload = this.o.files.upload(event.path);
    this.enqueue(async () => {
      try {
        const file = await upload;
        return [{ kind: 'event', event, file }];
      } catch (e) {
        return [{ kind: 'event', event: { type: 'log', level: 'warn', message: `Checkpoint of epoch ${event.epoch} could not be sent to the coordinator: ${(e as Error).message}` } }];
      }
    });
  }

  private push(entry: StreamEntry): void {
    this.outbox.push(entry);
    this.enqueue(async () => {
      const batch = this.outbox;
      this.outbox = [];
      return batch;
    });
  }

  /** Sends entries in order, many per round trip; a Redis outage holds them until it reconnects. */
  private enqueue(next: () => Promise<StreamEntry[]>): void {
    this.sending = this.sending.then(async () => {
      const entries = await next();
      if (entries.length === 0 || this.fenced) return;
      const multi = this.o.redis.multi();
      for (const e of entries) multi.xadd(streamKey(this.job.runId), '*', ...encodeEntry(this.job.attempt, ++this.seq, e));
      await multi.exec();
    });
  }

  private async drain(): Promise<void> {
    await this.sending.catch((e) => console.error(`Run ${this.job.runId}: events not sent: ${(e as Error).message}`));
  }

  private async superseded(): Promise<boolean> {
    const attempt = Number(await this.o.redis.hget(controlKey(this.job.runId), 'attempt'));
    return attempt > this.job.attempt;
  }

  private async pollControl(): Promise<void> {
    let control: Record<string, string>;
    try {
      control = await this.o.redis.hgetall(controlKey(this.job.runId));
    } catch {
      return; // cut off: try again next time
    }
    if (Number(control.attempt) > this.job.attempt) {
      // The run moved on while this worker was away: its trainer must not train (or write) any more.
      this.fenced = true;
      this.handle?.kill();
      return;
    }
    const command = (control.command ?? 'run') as ControlCommand;
    if (command !== this.obeyed) this.obey(command);
  }

  private obey(command: ControlCommand): void {
    this.obeyed = command;
    if (command === 'stop' || command === 'kill') this.stopRequested = true;
    if (!this.handle) return; // fetching files: checked when the trainer starts
    if (command === 'pause') this.handle.pause();
    else if (command === 'kill') this.handle.kill();
    else if (command === 'stop') {
      this.handle.stop();
      // A step of a large model can take a while; a cancel must not wait on it for long.
      this.killTimer ??= setTimeout(() => this.handle?.kill(), STOP_GRACE_MS);
    }
  }
}
