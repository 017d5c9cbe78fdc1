import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ReplicaReplies, ReplicaRequest, ReplicaResponse } from './protocol';
import type { ReplicaSpec, ReplicaState, ShardBatch } from './replica';
import { abortReducer, createReducerBuffer } from '../engine/parallel/shared-reducer';
import { shardBatch } from '../engine/parallel/shard';

// Data-parallel training on N worker threads (shared/ENGINE.md: the wasm backend runs one thread per engine,
// so N engines in N threads use N cores). Each worker holds a replica built from the same seed; a batch is
// split into contiguous shards (engine/parallel/shard.ts); the replicas exchange BN statistics and gradients
// among themselves through one SharedArrayBuffer (engine/parallel/shared-reducer.ts) and apply the same
// optimiser step, so they stay bit-identical, which `verifyReplicas` checks. This thread only hands out
// shards and collects results. threads = 1 is not routed here: the single-thread engine path stays the
// reference.

export interface FullBatch {
  /** NHWC images, row-major. */
  x: Float32Array;
  shape: [number, number, number, number];
  y: Int32Array;
}

export class ReplicasDivergedError extends Error {
  constructor(readonly checksums: string[]) {
    super(
      `The ${checksums.length} training threads no longer hold identical weights (checksums ${checksums.map((c) => c.slice(0, 12)).join(', ')}). ` +
        'This is a bug in data-parallel training: resume the run from its last checkpoint with threads = 1 and report it.',
    );
  }
}

/** Where the bundled worker entry lives: next to this module's bundle, or one folder up (out/main/chunks → out/main). */
export function defaultReplicaScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'parallel-replica.js'), path.join(here, '..', 'parallel-replica.js')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new Error(`The data-parallel worker script parallel-replica.js is missing (looked in ${candidates.join(' and ')}): run "npm run build", or train with threads = 1.`);
  }
  return found;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

class ReplicaHandle {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;
  /** Set before terminate(), whose exit is expected. */
  closing = false;

  constructor(
    readonly worker: Worker,
    readonly rank: number,
    onFailure: () => void,
  ) {
    worker.on('message', (r: ReplicaResponse) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.result);
      else p.reject(Object.assign(new Error(`Training thread ${rank}: ${r.error}`), { aborted: r.aborted }));
    });
    const fail = (e: Error) => {
      this.failure = e;
      onFailure();
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', (e) => fail(new Error(`Training thread ${rank} crashed: ${e.message}`)));
    worker.on('exit', (code) => {
      if (!this.closing && (this.pending.size > 0 || code !== 0)) fail(new Error(`Training thread ${rank} exited (code ${code}).`));
    });
  }

  request<T extends ReplicaRequest>(req: T, transfer: ArrayBuffer[] = []): Promise<ReplicaReplies[T['type']]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, req }, transfer);
    });
  }
}

/** Settles every promise; throws the first real error (a replica's own, not one released by the abort). */
async function all<T>(ps: Promise<T>[]): Promise<T[]> {
  const rs = await Promise.allSettled(ps);
  const errors = rs.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error & { aborted?: boolean });
  if (errors.length > 0) throw errors.find((e) => !e.aborted) ?? errors[0];
  return rs.map((r) => (r as PromiseFulfilledResult<T>).value);
}

export class DataParallelTrainer {
  private constructor(
    private readonly replicas: ReplicaHandle[],
    readonly device: string,
    /** Checksum of the replicas' identical initial state. */
    readonly initialChecksum: string,
  ) {}

  get threads(): number {
    return this.replicas.length;
  }

  /** Starts `threads` workers, builds a replica in each and checks that they start identical. */
  static async start(spec: ReplicaSpec, options: { threads: number; workerScript?: string }): Promise<DataParallelTrainer> {
    const { threads } = options;
    if (!Number.isInteger(threads) || threads < 2) throw new Error(`Data-parallel training needs threads ≥ 2; got ${threads} (threads = 1 trains on the engine directly).`);
    const script = options.workerScript ?? defaultReplicaScript();
    let sab: SharedArrayBuffer | null = null;
    const onFailure = () => {
      if (sab) abortReducer(sab);
    };
    const replicas = Array.from({ length: threads }, (_, rank) => new ReplicaHandle(new Worker(script), rank, onFailure));
    const trainer = new DataParallelTrainer(replicas, '', '');
    try {
      const inits = await all(replicas.map((r) => r.request({ type: 'init', spec })));
      const sums = inits.map((i) => i.checksum);
      if (new Set(sums).size !== 1) throw new ReplicasDivergedError(sums);
      const capacity = Math.max(...inits.map((i) => i.capacity));
      sab = createReducerBuffer(threads, capacity);
      const shared = sab;
      await all(replicas.map((r, rank) => r.request({ type: 'attach', sab: shared, rank, size: threads, capacity })));
      return new DataParallelTrainer(replicas, `${inits[0]!.device} × ${threads} threads`, sums[0]!);
    } catch (e) {
      await trainer.close();
      throw e;
    }
  }

  /** One training step of parameter group `group` on the whole batch; loss is the batch mean. */
  async train(group: string, batch: FullBatch, lr: number): Promise<{ loss: number; correct: number; count: number }> {
    const rs = await all(this.shards(batch).map((shard, r) => this.replicas[r]!.request({ type: 'train', group, shard, lr }, [shard.x.buffer as ArrayBuffer, shard.y.buffer as ArrayBuffer])));
    const count = rs.reduce((a, r) => a + r.count, 0);
    return { loss: rs.reduce((a, r) => a + r.loss * r.count, 0) / count, correct: rs.reduce((a, r) => a + r.correct, 0), count };
  }

  /** The whole batch's mean gradient of `group` by stable name, as each replica holds it (all the same), without training. */
  async gradients(group: string, batch: FullBatch): Promise<Record<string, Float32Array>[]> {
    return all(this.shards(batch).map((shard, r) => this.replicas[r]!.request({ type: 'gradients', group, shard }, [shard.x.buffer as ArrayBuffer, shard.y.buffer as ArrayBuffer])));
  }

  async checksums(): Promise<string[]> {
    return all(this.replicas.map((r) => r.request({ type: 'checksum' })));
  }

  /** Throws ReplicasDivergedError unless every replica holds the same weights, buffers and optimiser state. */
  async verifyReplicas(): Promise<string> {
    const sums = await this.checksums();
    if (new Set(sums).size !== 1) throw new ReplicasDivergedError(sums);
    return sums[0]!;
  }

  /** The replicas' common training state (verified identical first), for a checkpoint. */
  async state(): Promise<ReplicaState> {
    await this.verifyReplicas();
    return this.replicas[0]!.request({ type: 'state' });
  }

  /** Loads `state` (from any thread count) into every replica, then checks they agree. */
  async load(state: ReplicaState): Promise<string> {
    await all(this.replicas.map((r) => r.request({ type: 'load', state })));
    return this.verifyReplicas();
  }

  async memory(): Promise<Array<ReplicaReplies['memory']>> {
    return all(this.replicas.map((r) => r.request({ type: 'memory' })));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.replicas.map((r) => r.request({ type: 'dispose' })));
    for (const r of this.replicas) r.closing = true;
    await Promise.all(this.replicas.map((r) => r.worker.terminate()));
  }

  private shards(batch: FullBatch): ShardBatch[] {
    const [b, h, w, c] = batch.shape;
    const per = h * w * c;
    if (batch.x.length !== b * per || batch.y.length !== b) throw new Error(`Batch arrays do not match shape [${batch.shape.join(', ')}].`);
    // slice(): a copy of the shard only (posting a view would copy its whole buffer).
    return shardBatch(b, this.threads).map(({ start, size }) => ({
      x: batch.x.slice(start * per, (start + size) * per),
      shape: [size, h, w, c],
      y: batch.y.slice(start, start + size),
      batch: b,
      threads: this.threads,
    }));
  }
}
