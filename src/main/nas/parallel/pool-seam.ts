import type * as tf from '../engine/tf';
import type { Supernet } from '../engine/supernet';
import type { GradResult, LossAndGradsOptions } from '../strategies/one-shot';

// The seam between `lossAndGrads` (strategies/one-shot.ts) and data-parallel training: a supernet with a pool
// attached computes its gradients through the pool. Kept apart from gradient-pool.ts, which itself computes
// each thread's share with one-shot.ts, so neither module imports the other in a cycle.

export interface PooledLossAndGrads {
  lossAndGrads(net: Supernet, x: tf.Tensor4D, y: tf.Tensor1D, variables: tf.Variable[], options: LossAndGradsOptions): GradResult;
}

const pools = new WeakMap<Supernet, PooledLossAndGrads>();

export function setPool(net: Supernet, pool: PooledLossAndGrads | null): void {
  if (pool) pools.set(net, pool);
  else pools.delete(net);
}

export function poolOf(net: Supernet): PooledLossAndGrads | undefined {
  return pools.get(net);
}
