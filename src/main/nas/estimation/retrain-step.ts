import * as tf from '../engine/tf';
import type { ForwardContext, TrainingBatchNorm } from '../engine/layers';
import { Rng } from '../engine/rng';
import { crossEntropy, tapedLossAndGrads, type GradResult } from '../strategies/one-shot';
import { poolOf } from '../parallel/pool-seam';
import type { DropPathShard } from './networks/tensor-ops';
import type { StandaloneNet } from './networks/standalone';

// A retrain's loss and gradients on one batch: cross-entropy of the logits plus the auxiliary head's (weighted),
// with DARTS's drop-path. The retrain's optimiser step stays in retrain.ts; when a gradient pool is attached to
// the network (parallel/gradient-pool.ts) the batch is split across its threads, like a search's lossAndGrads.

export interface RetrainStepOptions {
  /** Drop-path probability of this step and the keys of the generator its masks come from (Rng.derive(seed, …keys)). */
  dropPath: { probability: number; seed: number; keys: number[] } | null;
  auxiliaryWeight: number;
  updateBnStats?: boolean;
  /** Data-parallel: synchronised BatchNorm, and this thread's rows of the batch for the drop-path masks. */
  bnSync?: TrainingBatchNorm;
  shard?: DropPathShard;
}

export function retrainLossAndGrads(net: StandaloneNet, x: tf.Tensor4D, y: tf.Tensor1D, variables: tf.Variable[], options: RetrainStepOptions): GradResult {
  const pool = poolOf(net);
  return pool ? pool.retrainLossAndGrads(net, x, y, variables, options) : singleThreadRetrainLossAndGrads(net, x, y, variables, options);
}

export function singleThreadRetrainLossAndGrads(net: StandaloneNet, x: tf.Tensor4D, y: tf.Tensor1D, variables: tf.Variable[], options: RetrainStepOptions): GradResult {
  const ctx: ForwardContext = { training: true, bnUpdates: options.updateBnStats === false ? null : [], bnSync: options.bnSync };
  const d = options.dropPath;
  const dropPath = d ? { probability: d.probability, rng: Rng.derive(d.seed, ...d.keys), shard: options.shard } : null;
  return tapedLossAndGrads(ctx, y, variables, () => {
    const out = net.forward(x, { ctx, dropPath });
    const main = crossEntropy(out.logits, y);
    return { logits: out.logits, loss: out.aux ? (tf.add(main, tf.mul(crossEntropy(out.aux, y), options.auxiliaryWeight)) as tf.Scalar) : main };
  });
}
