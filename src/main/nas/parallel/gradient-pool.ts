import { Worker } from 'node:worker_threads';
import * as tf from '../engine/tf';
import type { Supernet } from '../engine/supernet';
import { ReplicaAbortedError, ReplicaStalledError, SharedReducer, abortReducer, createReducerBuffer } from '../engine/parallel/shared-reducer';
import { shardBatch } from '../engine/parallel/shard';
import type { GradResult, LossAndGradsOptions } from '../strategies/one-shot';
import { singleThreadLossAndGrads } from '../strategies/one-shot';
import { singleThreadRetrainLossAndGrads, type RetrainStepOptions } from '../estimation/retrain-step';
import type { StandaloneNet } from '../estimation/networks/standalone';
import { NetState, type MaskState, type MirroredNet } from './net-state';
import { createFaultNote, readFault } from './fault-note';
import { shardStep, type LocalGrads, type ShardCommand, type ThreadBn } from './shard-step';
import { setPool, poolOf, type PooledLossAndGrads } from './pool-seam';
import type { PoolNetSpec, StateDelta, StepKind } from './pool-protocol';
import { WorkerHandle, defaultWorkerScript } from './pool-workers';

// Data-parallel gradients on N threads (shared/ENGINE.md: one wasm engine runs on one core, so N engines in N
// threads use N cores). The main thread is rank 0 and keeps the only real training state; N − 1 workers hold
// copies of the supernet that it mirrors per call. Each `lossAndGrads` of a net with a pool attached:
//  1. writes every weight, α and BN buffer whose tensor changed since the last call (tfjs gives an assigned
//     variable a new dataId) and the batch into shared memory, and posts one command per worker;
//  2. computes its own shard while the workers compute theirs (BN synchronised across threads, or per shard);
//  3. all-reduces the shard-weighted gradients, loss and correct count in rank order (shard-step.ts).
// The optimisers, α steps, unrolled steps, Hessian-vector products and path masks all stay in the strategy on
// the main thread, which cannot tell a pooled call from a single-thread one. A worker's failure aborts the
// shared reducer, so the main thread never hangs; it rethrows the worker's error naming the thread.

export interface GradientPoolOptions extends PoolNetSpec {
  threads: number;
  bn: ThreadBn;
  /** The bundled worker entry; default out/main/parallel-replica.js beside this bundle. */
  workerScript?: string;
  /** How long the main thread waits in one exchange for a silent worker before failing the step (default 5 min). */
  stallLimitMs?: number;
}

const DEFAULT_STALL_LIMIT_MS = 5 * 60_000;

export class ReplicasDivergedError extends Error {
  constructor(readonly checksums: string[]) {
    super(
      `The ${checksums.length} training threads no longer hold identical weights (checksums ${checksums.map((c) => c.slice(0, 12)).join(', ')}). ` +
        'This is a bug in data-parallel training: resume the run from its last checkpoint with threads = 1 and report it.',
    );
  }
}

export class GradientPool implements PooledLossAndGrads {
  private state: NetState | null = null;
  private reducer: SharedReducer | null = null;
  private stateView: Float32Array | null = null;
  private readonly sentDataIds: unknown[] = [];
  private sentMasks = '';
  private input: { x: SharedArrayBuffer; y: SharedArrayBuffer } | null = null;
  private failure: Error | null = null;

  private constructor(
    private readonly workers: WorkerHandle[],
    readonly options: GradientPoolOptions,
    /** The workers' backend device, e.g. "CPU (WebAssembly, SIMD)". */
    readonly device: string,
    private readonly layout: string,
    private readonly shared: { reducer: SharedArrayBuffer; state: SharedArrayBuffer; error: SharedArrayBuffer; capacity: number },
  ) {}

  get threads(): number {
    return this.workers.length + 1;
  }

  /** Starts threads − 1 workers, each building the same network on its own backend. */
  static async start(options: GradientPoolOptions): Promise<GradientPool> {
    const { threads } = options;
    if (!Number.isInteger(threads) || threads < 2) throw new Error(`A gradient pool needs threads ≥ 2; got ${threads} (threads = 1 trains on the main thread alone).`);
    const script = options.workerScript ?? defaultWorkerScript();
    const spec: PoolNetSpec = { space: options.space, inputShape: options.inputShape, classes: options.classes, backend: options.backend, ...(options.standalone ? { standalone: options.standalone } : {}) };
    const workers = Array.from({ length: threads - 1 }, (_, i) => new WorkerHandle(new Worker(script), i + 1));
    const terminate = async () => {
      for (const w of workers) w.closing = true;
      await Promise.all(workers.map((w) => w.worker.terminate()));
    };
    try {
      const inits = await Promise.all(workers.map((w) => w.request({ type: 'init', spec })));
      const layout = inits[0]!.layout;
      const { size, capacity } = inits[0]!;
      const shared = { reducer: createReducerBuffer(threads, capacity), state: new SharedArrayBuffer(size * 4), error: createFaultNote(), capacity };
      await Promise.all(workers.map((w) => w.request({ type: 'share', reducer: shared.reducer, state: shared.state, error: shared.error, rank: w.rank, size: threads, capacity })));
      return new GradientPool(workers, options, inits[0]!.device, layout, shared);
    } catch (e) {
      await terminate();
      throw e;
    }
  }

  /**
   * Binds the pool to the main thread's `net` (built from the same space config, and architecture for a
   * retrain) and routes its `lossAndGrads` / `retrainLossAndGrads` here.
   */
  attach(net: Supernet | StandaloneNet): void {
    const state = new NetState(net);
    if (state.layout() !== this.layout) {
      throw new Error('The gradient pool was started for a different network than the one it is attached to (its space, input shape or classes differ): start the pool from the run\'s own config.');
    }
    this.state = state;
    this.reducer = new SharedReducer(this.shared.reducer, 0, this.threads, this.shared.capacity, this.options.stallLimitMs ?? DEFAULT_STALL_LIMIT_MS);
    this.stateView = new Float32Array(this.shared.state);
    setPool(net, this);
  }

  lossAndGrads(net: Supernet, x: tf.Tensor4D, y: tf.Tensor1D, variables: tf.Variable[], options: LossAndGradsOptions): GradResult {
    if (x.shape[0] < this.threads) return singleThreadLossAndGrads(net, x, y, variables, options);
    const weights = options.weights
      ? Object.fromEntries([...options.weights].map(([k, t]) => [k, { values: t.dataSync() as Float32Array, shape: t.shape as [number, number] }]))
      : undefined;
    return this.step(net, x, y, variables, { updateBnStats: options.updateBnStats !== false, recompute: options.recompute === true }, { kind: 'search', ...(weights ? { weights } : {}) }, (xs, ys) => (vars, o) =>
      singleThreadLossAndGrads(net, xs, ys, vars, { ...o, weights: options.weights }),
    );
  }

  retrainLossAndGrads(net: StandaloneNet, x: tf.Tensor4D, y: tf.Tensor1D, variables: tf.Variable[], options: RetrainStepOptions): GradResult {
    if (x.shape[0] < this.threads) return singleThreadRetrainLossAndGrads(net, x, y, variables, options);
    const batch = x.shape[0];
    const step: StepKind = { kind: 'retrain', dropPath: options.dropPath, auxiliaryWeight: options.auxiliaryWeight };
    return this.step(net, x, y, variables, { updateBnStats: options.updateBnStats !== false, recompute: false }, step, (xs, ys) => (vars, o) =>
      singleThreadRetrainLossAndGrads(net, xs, ys, vars, { ...options, ...o, shard: { batch, start: 0 } }),
    );
  }

  /**
   * One data-parallel step (a batch of at least `threads`): post each worker its shard and the state delta,
   * compute rank 0's shard with `local`, all-reduce, and return the whole batch's result.
   */
  private step(
    net: MirroredNet,
    x: tf.Tensor4D,
    y: tf.Tensor1D,
    variables: tf.Variable[],
    flags: { updateBnStats: boolean; recompute: boolean },
    kind: StepKind,
    local: (xs: tf.Tensor4D, ys: tf.Tensor1D) => LocalGrads,
  ): GradResult {
    const { state, reducer } = this.live(net);
    const batch = x.shape[0];
    const vars = variables.map((v) => state.indexOf(v));
    const shards = shardBatch(batch, this.threads);
    const shape = x.shape as [number, number, number, number];
    const inputChanged = this.writeBatch(x, y);
    const delta = this.delta();
    const cmd: ShardCommand = { vars, batch, ...flags, bn: this.options.bn };
    for (const w of this.workers) {
      w.post({ type: 'step', cmd, shard: shards[w.rank]!, shape, ...delta, ...(inputChanged ? { input: this.input! } : {}), step: kind });
    }
    const mine = shards[0]!;
    const r = this.collective(() => {
      const [xs, ys] = tf.tidy(() => [tf.slice(x, [0, 0, 0, 0], [mine.size, -1, -1, -1]), tf.slice(y, [0], [mine.size])] as const);
      try {
        return shardStep(state, reducer, mine.size, cmd, local(xs, ys));
      } finally {
        tf.dispose([xs, ys]);
      }
    });
    const grads: Record<string, tf.Tensor> = {};
    variables.forEach((v, k) => {
      const g = r.grads[k];
      if (g) grads[v.name] = tf.tensor(g, v.shape, 'float32');
    });
    return { loss: r.loss, correct: r.correct, grads };
  }

  /**
   * Checks that every worker's copy equals the main thread's state (weights, α, BN buffers, masks) after
   * mirroring what changed: a change the mirroring missed would show here. Throws ReplicasDivergedError.
   */
  verify(net: Supernet | StandaloneNet): string {
    const { state, reducer } = this.live(net);
    const delta = this.delta();
    for (const w of this.workers) w.post({ type: 'checksum', ...delta });
    const sums = this.collective(() => {
      const parts = reducer.allGather(Buffer.from(state.checksum(), 'hex'));
      return parts.map((p) => Buffer.from(Uint8Array.from(p)).toString('hex'));
    });
    if (new Set(sums).size !== 1) throw new ReplicasDivergedError(sums);
    return sums[0]!;
  }

  /** Detaches from the net and terminates the workers. */
  async dispose(): Promise<void> {
    const net = this.state?.net as Supernet | StandaloneNet | undefined;
    if (net && poolOf(net) === this) setPool(net, null);
    this.state = null;
    abortReducer(this.shared.reducer); // releases a worker still waiting in a collective
    for (const w of this.workers) w.closing = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private live(net: MirroredNet): { state: NetState; reducer: SharedReducer } {
    if (this.failure) throw this.failure;
    if (!this.state || !this.reducer || this.state.net !== net) throw new Error('This gradient pool is not attached to this network (attachPool first).');
    return { state: this.state, reducer: this.reducer };
  }

  /** Runs rank 0's part of a collective; any failure (here or in a worker) breaks the pool for good. */
  private collective<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof ReplicaStalledError) {
        this.failure = e;
      } else if (e instanceof ReplicaAbortedError) {
        const fault = readFault(this.shared.error);
        this.failure = new Error(
          fault ? `Data-parallel training failed in training thread ${fault.rank}: ${fault.message}` : 'Data-parallel training failed: a training thread stopped without saying why.',
        );
      } else {
        abortReducer(this.shared.reducer); // the workers wait for this thread in a collective
        this.failure = e instanceof Error ? e : new Error(String(e));
      }
      throw this.failure;
    }
  }

  /** Writes changed slots into the shared state buffer; returns what the workers must read. */
  private delta(): StateDelta {
    const state = this.state!;
    const changed: number[] = [];
    state.slots.forEach((s, i) => {
      const id = (s.variable as unknown as { dataId: unknown }).dataId;
      if (this.sentDataIds[i] === id) return;
      state.write(this.stateView!, i);
      this.sentDataIds[i] = id;
      changed.push(i);
    });
    const masks: MaskState = state.masks();
    const key = JSON.stringify(masks);
    if (key === this.sentMasks) return { changed };
    this.sentMasks = key;
    return { changed, masks };
  }

  /** Copies the batch into shared memory (grown when too small); true when the buffers are new. */
  private writeBatch(x: tf.Tensor4D, y: tf.Tensor1D): boolean {
    let fresh = false;
    if (!this.input || this.input.x.byteLength < x.size * 4 || this.input.y.byteLength < y.size * 4) {
      this.input = { x: new SharedArrayBuffer(x.size * 4), y: new SharedArrayBuffer(y.size * 4) };
      fresh = true;
    }
    new Float32Array(this.input.x).set(x.dataSync() as Float32Array);
    new Int32Array(this.input.y).set(y.dataSync() as Int32Array);
    return fresh;
  }
}

/** Attaches `pool` to `net`: from now on every `lossAndGrads(net, …)` (or a retrain's step) runs on the pool's threads. */
export function attachPool(net: Supernet | StandaloneNet, pool: GradientPool): void {
  pool.attach(net);
}

export { poolOf, defaultWorkerScript };
