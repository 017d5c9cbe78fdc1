import * as tf from '../engine/tf';
import { Rng } from '../engine/rng';
import type { Supernet } from '../engine/supernet';
import { Adam, Sgd, clipByGlobalNorm, type NamedGrads, type Optimizer } from '../engine/optim';
import { shouldRecompute } from '../engine/recompute';
import { buildNb201Supernet, type Nb201SupernetOptions } from '../spaces/nb201';
import { buildDartsSupernet, type DartsSupernetOptions } from '../spaces/darts';
import { disposeGrads, lossAndGrads } from '../strategies/one-shot';
import { tensorChecksum } from '../engine/parallel/checksum';
import type { SharedReducer } from '../engine/parallel/shared-reducer';
import { syncedBatchNorm } from '../engine/parallel/sync-bn';

// One replica of a data-parallel trainer (runs inside a worker thread, see replica-worker.ts): its own
// supernet built from the shared seed, its own optimisers, and the collective steps that keep it identical
// to the other replicas: gradients summed (weighted by shard size) through shared memory, then the same
// optimiser step everywhere.

export type SupernetSpec =
  | { space: 'nb201'; options: Nb201SupernetOptions }
  | { space: 'darts'; options: DartsSupernetOptions };

const SUPERNET_BUILDERS: { [K in SupernetSpec['space']]: (options: Extract<SupernetSpec, { space: K }>['options'], rng: Rng) => Supernet } = {
  nb201: buildNb201Supernet,
  darts: buildDartsSupernet,
};

export type OptimizerSpec =
  | { kind: 'sgd'; momentum: number; weightDecay: number }
  | { kind: 'adam'; beta1: number; beta2: number; weightDecay: number };

const OPTIMIZERS: { [K in OptimizerSpec['kind']]: (vars: Map<string, tf.Variable>, spec: Extract<OptimizerSpec, { kind: K }>) => Optimizer } = {
  sgd: (vars, s) => new Sgd(vars, s.momentum, s.weightDecay),
  adam: (vars, s) => new Adam(vars, s.beta1, s.beta2, s.weightDecay),
};

/** A set of variables trained together with one optimiser (DARTS: weights with SGD, α with Adam). */
export interface ParamGroupSpec {
  name: string;
  variables: 'weights' | 'alphas' | 'all';
  optimizer: OptimizerSpec;
  /** Clip the (all-reduced) gradient's global L2 norm, as torch's clip_grad_norm_. */
  clipNorm?: number;
}

export interface ReplicaSpec {
  net: SupernetSpec;
  /** The supernet's initialisation seed: every replica builds bit-identical weights from it. */
  seed: number;
  backend: 'wasm' | 'cpu';
  /** 'sync': BN statistics over the whole batch (default); 'per-worker': each shard's own (faster, different gradients). */
  bn: 'sync' | 'per-worker';
  /** Gradient checkpointing; 'auto' decides from the largest shard, identically on every replica. */
  recompute: boolean | 'auto';
  groups: ParamGroupSpec[];
}

/** One replica's part of a batch, plus the whole batch's size (for the shard's weight). */
export interface ShardBatch {
  x: Float32Array;
  shape: [number, number, number, number];
  y: Int32Array;
  batch: number;
  threads: number;
}

/** A replica's whole training state; scalar optimiser state (Adam's t) per group. */
export interface ReplicaState {
  tensors: Record<string, Float32Array>;
  optimizers: Record<string, Record<string, number>>;
}

interface Group {
  vars: Array<[string, tf.Variable]>;
  optimizer: Optimizer;
  clipNorm?: number;
}

/** Trainable weights, α and BN buffers under names that are the same in every replica (tfjs's are not). */
export function stableVariables(net: Supernet): { weights: Array<[string, tf.Variable]>; alphas: Array<[string, tf.Variable]>; buffers: Array<[string, tf.Variable]> } {
  return {
    weights: [...net.params.trainable].map(([k, v]) => [`w/${k}`, v]),
    alphas: [...net.alphas].map(([k, v]) => [`alpha/${k}`, v]),
    buffers: [...net.params.buffers].map(([k, v]) => [`buf/${k}`, v]),
  };
}

export function buildReplicaNet(spec: SupernetSpec, seed: number): Supernet {
  const build = SUPERNET_BUILDERS[spec.space] as (o: SupernetSpec['options'], rng: Rng) => Supernet;
  return build(spec.options, new Rng(seed));
}

export class Replica {
  readonly net: Supernet;
  private readonly groups = new Map<string, Group>();
  private readonly vars: ReturnType<typeof stableVariables>;
  private reducer: SharedReducer | null = null;
  private readonly recomputeAt = new Map<number, boolean>();

  constructor(private readonly spec: ReplicaSpec) {
    this.net = buildReplicaNet(spec.net, spec.seed);
    this.vars = stableVariables(this.net);
    for (const g of spec.groups) {
      const vars = g.variables === 'weights' ? this.vars.weights : g.variables === 'alphas' ? this.vars.alphas : [...this.vars.weights, ...this.vars.alphas];
      const make = OPTIMIZERS[g.optimizer.kind] as (v: Map<string, tf.Variable>, s: OptimizerSpec) => Optimizer;
      this.groups.set(g.name, { vars, optimizer: make(new Map(vars), g.optimizer), clipNorm: g.clipNorm });
    }
  }

  /** Sizes the shared buffer must hold: the largest group's gradient, the BN buffers, the widest BN exchange. */
  exchangeCapacity(): number {
    const size = (vs: Array<[string, tf.Variable]>) => vs.reduce((a, [, v]) => a + v.size, 0);
    const widestBn = Math.max(0, ...this.vars.buffers.map(([, v]) => v.size));
    return Math.max(...[...this.groups.values()].map((g) => size(g.vars)), size(this.vars.buffers), 1 + 2 * widestBn);
  }

  attach(reducer: SharedReducer): void {
    this.reducer = reducer;
  }

  /** One training step of `group` on this replica's shard: loss and gradients, all-reduce, optimiser step. */
  train(groupName: string, shard: ShardBatch, lr: number): { loss: number; correct: number; count: number } {
    const group = this.group(groupName);
    const r = this.localGradients(group, shard, true);
    const grads = this.allReduceGrads(group, r.grads, this.weight(shard));
    disposeGrads(r.grads);
    if (this.spec.bn === 'per-worker') this.averageBuffers(this.weight(shard));
    let step = grads;
    if (group.clipNorm !== undefined) step = clipByGlobalNorm(grads, group.clipNorm).grads;
    group.optimizer.step(step, lr);
    disposeGrads(step);
    return { loss: r.loss, correct: r.correct, count: shard.y.length };
  }

  /** The all-reduced gradients of `group` on the whole batch, without changing any state. */
  gradients(groupName: string, shard: ShardBatch): Record<string, Float32Array> {
    const group = this.group(groupName);
    const r = this.localGradients(group, shard, false);
    const grads = this.allReduceGrads(group, r.grads, this.weight(shard));
    disposeGrads(r.grads);
    const out: Record<string, Float32Array> = {};
    for (const [k, g] of Object.entries(grads)) out[k] = g.dataSync() as Float32Array;
    disposeGrads(grads);
    return out;
  }

  /** Hash of every weight, α, BN buffer and optimiser state: equal on all replicas while they agree. */
  checksum(): string {
    return tensorChecksum(this.stateEntries());
  }

  private stateEntries(): Array<[string, tf.Variable]> {
    const state: Array<[string, tf.Variable]> = [...this.vars.weights, ...this.vars.alphas, ...this.vars.buffers];
    for (const [name, g] of this.groups) for (const [k, t] of g.optimizer.stateTensors()) state.push([`${name}/${k}`, t]);
    return state;
  }

  /** Every weight, α, BN buffer and optimiser state by stable name: what a checkpoint needs from the replicas. */
  state(): ReplicaState {
    const tensors: Record<string, Float32Array> = {};
    for (const [name, t] of this.stateEntries()) tensors[name] = (t.dataSync() as Float32Array).slice();
    const optimizers: Record<string, Record<string, number>> = {};
    for (const [name, g] of this.groups) optimizers[name] = g.optimizer.stateJson();
    return { tensors, optimizers };
  }

  /** Loads a state taken from replicas with any thread count (or built from a single-thread checkpoint). */
  load(state: ReplicaState): void {
    for (const [name, v] of this.stateEntries()) {
      const values = state.tensors[name];
      if (!values || values.length !== v.size) throw new Error(`The training state has no values for '${name}' of size ${v.size}: it comes from a different network or settings.`);
      tf.tidy(() => v.assign(tf.tensor(values, v.shape, 'float32')));
    }
    for (const [name, g] of this.groups) g.optimizer.loadStateJson(state.optimizers[name] ?? {});
  }

  dispose(): void {
    for (const g of this.groups.values()) g.optimizer.dispose();
    this.net.dispose();
  }

  private group(name: string): Group {
    const g = this.groups.get(name);
    if (!g) throw new Error(`No parameter group '${name}' in this trainer (groups: ${[...this.groups.keys()].join(', ')}).`);
    return g;
  }

  private weight(shard: ShardBatch): number {
    return shard.y.length / shard.batch;
  }

  private exchange(): SharedReducer {
    if (!this.reducer) throw new Error('This replica is not attached to the shared exchange buffer yet.');
    return this.reducer;
  }

  private recompute(shard: ShardBatch): boolean {
    if (this.spec.recompute !== 'auto') return this.spec.recompute;
    const largest = Math.ceil(shard.batch / shard.threads);
    let on = this.recomputeAt.get(largest);
    if (on === undefined) {
      const [, h, w, c] = shard.shape;
      on = shouldRecompute(this.net, [h, w, c], largest);
      this.recomputeAt.set(largest, on);
    }
    return on;
  }

  private localGradients(group: Group, shard: ShardBatch, updateBnStats: boolean) {
    const x = tf.tensor4d(shard.x, shard.shape);
    const y = tf.tensor1d(shard.y, 'int32');
    try {
      const bnSync = this.spec.bn === 'sync' ? syncedBatchNorm(this.exchange(), this.weight(shard)) : undefined;
      return lossAndGrads(this.net, x, y, group.vars.map(([, v]) => v), { bnSync, updateBnStats, recompute: this.recompute(shard) });
    } finally {
      x.dispose();
      y.dispose();
    }
  }

  /**
   * Σ over replicas of weight·gradient (weight = shard / batch: the full-batch mean gradient), by stable name.
   * Flattened into one exchange and rebuilt per variable from sub-arrays (tf.split on a big tensor is slower).
   */
  private allReduceGrads(group: Group, grads: Record<string, tf.Tensor>, weight: number): NamedGrads {
    const total = group.vars.reduce((a, [, v]) => a + v.size, 0);
    const flat = new Float32Array(total);
    let offset = 0;
    for (const [, v] of group.vars) {
      const g = grads[v.name];
      if (g) flat.set(g.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    const sum = this.exchange().allReduceSum(flat, weight, new Float32Array(total)) as Float32Array;
    const out: NamedGrads = {};
    offset = 0;
    for (const [name, v] of group.vars) {
      // The same variables get gradients on every replica (same network), so presence agrees everywhere.
      if (grads[v.name]) out[name] = tf.tensor(sum.subarray(offset, offset + v.size), v.shape, 'float32');
      offset += v.size;
    }
    return out;
  }

  /** Per-worker BN: running statistics averaged over replicas (weighted by shard), so replicas stay identical. */
  private averageBuffers(weight: number): void {
    const bufs = this.vars.buffers;
    const total = bufs.reduce((a, [, v]) => a + v.size, 0);
    const flat = new Float32Array(total);
    let offset = 0;
    for (const [, v] of bufs) {
      flat.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    const avg = this.exchange().allReduceSum(flat, weight, new Float32Array(total)) as Float32Array;
    offset = 0;
    for (const [, v] of bufs) {
      tf.tidy(() => v.assign(tf.tensor(avg.subarray(offset, offset + v.size), v.shape, 'float32')));
      offset += v.size;
    }
  }
}
