import * as tf from '../engine/tf';
import type { TrainingBatchNorm } from '../engine/layers';
import { disposeGrads, type GradResult } from '../strategies/one-shot';
import type { SharedReducer } from '../engine/parallel/shared-reducer';
import { syncedBatchNorm } from '../engine/parallel/sync-bn';
import type { NetState } from './net-state';

// One thread's share of a data-parallel `lossAndGrads`, run by the main thread (rank 0) and by every worker
// alike, so all make the same sequence of collective calls: the forward/backward on the thread's shard (BN
// synchronised across threads, or per shard), then one all-reduce of [weight·gradients, weight·loss, correct]
// with weight = shard / batch, which turns the shards' mean losses into the whole batch's mean.

export type ThreadBn = 'sync' | 'per-worker';

export interface ShardCommand {
  /** State slots (NetState indexes) to differentiate, in the caller's order. */
  vars: number[];
  /** The whole batch's size. */
  batch: number;
  updateBnStats: boolean;
  recompute: boolean;
  bn: ThreadBn;
}

export interface ShardResult {
  /** The whole batch's mean loss and correct count. */
  loss: number;
  correct: number;
  /** Σ over threads of weight·gradient per requested slot (flattened in `vars` order); undefined = no gradient. */
  grads: Array<Float32Array | undefined>;
}

/** This thread's loss and gradients on its shard (lossAndGrads or retrainLossAndGrads, on this thread alone). */
export type LocalGrads = (variables: tf.Variable[], options: { updateBnStats: boolean; recompute: boolean; bnSync?: TrainingBatchNorm }) => GradResult;

export function reducedFloats(state: NetState): number {
  // Largest exchange: every slot's gradient + loss + correct; or the BN buffers; or one BN layer's statistics.
  return Math.max(state.size + 2, 1 + 2 * state.widestBuffer(), 64);
}

export function shardStep(state: NetState, reducer: SharedReducer, shardSize: number, cmd: ShardCommand, local: LocalGrads): ShardResult {
  const weight = shardSize / cmd.batch;
  const variables = cmd.vars.map((i) => state.slots[i]!.variable);
  // Synced BN: only rank 0 keeps the running statistics (the whole batch's, identical everywhere); per-worker
  // BN: every thread updates from its shard and the results are averaged below.
  const updateBnStats = cmd.updateBnStats && (cmd.bn === 'per-worker' || reducer.rank === 0);
  const bnSync = cmd.bn === 'sync' ? syncedBatchNorm(reducer, weight) : undefined;
  const r = local(variables, { updateBnStats, recompute: cmd.recompute, bnSync });

  const sizes = variables.map((v) => v.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const flat = new Float64Array(total + 2);
  let offset = 0;
  for (const v of variables) {
    const g = r.grads[v.name];
    if (g) {
      const data = g.dataSync() as Float32Array;
      for (let i = 0; i < data.length; i++) flat[offset + i] = data[i]! * weight;
    }
    offset += v.size;
  }
  // The same network takes the same gradients on every thread, so presence agrees everywhere.
  const present = variables.map((v) => r.grads[v.name] !== undefined);
  disposeGrads(r.grads);
  flat[total] = r.loss * weight;
  flat[total + 1] = r.correct;
  const sum = reducer.allReduceSum(flat) as Float64Array;

  const grads: Array<Float32Array | undefined> = [];
  offset = 0;
  for (let k = 0; k < variables.length; k++) {
    grads.push(present[k] ? Float32Array.from(sum.subarray(offset, offset + sizes[k]!)) : undefined);
    offset += sizes[k]!;
  }
  const result = { loss: sum[total]!, correct: Math.round(sum[total + 1]!), grads };
  if (updateBnStats && cmd.bn === 'per-worker') averageBuffers(state, reducer, weight);
  return result;
}

/** Per-worker BN: the running statistics become the shard-weighted mean of every thread's update. */
function averageBuffers(state: NetState, reducer: SharedReducer, weight: number): void {
  const slots = state.bufferSlots();
  const flat = new Float64Array(slots.reduce((a, s) => a + s.variable.size, 0));
  let offset = 0;
  for (const s of slots) {
    flat.set(s.variable.dataSync() as Float32Array, offset);
    offset += s.variable.size;
  }
  const avg = reducer.allReduceSum(flat, weight) as Float64Array;
  offset = 0;
  for (const s of slots) {
    const values = Float32Array.from(avg.subarray(offset, offset + s.variable.size));
    tf.tidy(() => s.variable.assign(tf.tensor(values, s.variable.shape, 'float32')));
    offset += s.variable.size;
  }
}
