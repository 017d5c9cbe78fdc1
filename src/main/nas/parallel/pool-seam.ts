import type * as tf from '../engine/tf';
import type { Supernet } from '../engine/supernet';
import type { GradResult, LossAndGradsOptions } from '../strategies/one-shot';
import type { StandaloneNet } from '../estimation/networks/standalone';
import type { RetrainStepOptions } from '../estimation/retrain-step';

// The seam between the single functions every training step computes its gradients with — `lossAndGrads`
// (strategies/one-shot.ts) for a search's supernet, `retrainLossAndGrads` (estimation/retrain-step.ts) for a
// retrain's network — and data-parallel training: a network with a pool attached computes them through the
// pool. Kept apart from gradient-pool.ts, which itself computes each thread's share with those functions, so
// no module imports another in a cycle.

export interface PooledLossAndGrads {
  lossAndGrads(net: Supernet, x: tf.Tensor4D, y: tf.Tensor1D, variables: tf.Variable[], options: LossAndGradsOptions): GradResult;
  retrainLossAndGrads(net: StandaloneNet, x: tf.Tensor4D, y: tf.Tensor1D, variables: tf.Variable[], options: RetrainStepOptions): GradResult;
}

const pools = new WeakMap<object, PooledLossAndGrads>();

export function setPool(net: Supernet | StandaloneNet, pool: PooledLossAndGrads | null): void {
  if (pool) pools.set(net, pool);
  else pools.delete(net);
}

export function poolOf(net: Supernet | StandaloneNet): PooledLossAndGrads | undefined {
  return pools.get(net);
}
