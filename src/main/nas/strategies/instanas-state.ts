import type { SearchConfig, StrategyConfigOf } from '../../../shared/config';
import type { InstanasLatency } from '../../../shared/instanas';
import type { BatcherState } from '../data/batcher';
import type { Adam, Sgd } from '../engine/optim';
import type { ParamStore } from '../engine/params';
import type * as tf from '../engine/tf';

// An InstaNAS search's plain-JSON state (STYLE §3) and schedules: which phase and epoch it is in, the data
// streams' positions, the latency table it measured, and the variants it kept. Tensors live in checkpoints.

export type InstanasOptions = StrategyConfigOf<'instanas'>;
export type InstanasPhase = 'pretrain' | 'search' | 'baseline' | 'done';

export interface VariantRecord {
  epoch: number;
  valAccuracy: number;
  meanLatency: number;
  stdLatency: number;
  distinct: number;
  /** Relative to the run folder. */
  checkpoint: string;
}

export interface InstanasState {
  version: 1;
  kind: 'instanas';
  phase: InstanasPhase;
  /** Epoch within the phase (0-based). */
  epoch: number;
  stepInEpoch: number;
  globalStep: number;
  train: BatcherState;
  val: BatcherState;
  baseline: BatcherState;
  adam: Record<string, number>;
  epochAcc: { loss: number; correct: number; count: number };
  /** Sums of the current search epoch's controller pass. */
  controller: { reward: number; greedyReward: number; entropy: number; loss: number; count: number; batches: number };
  latency: InstanasLatency | null;
  variants: VariantRecord[];
  lastAccuracy: { train: number; val: number };
  runConfig: SearchConfig;
}

export const emptyControllerSums = () => ({ reward: 0, greedyReward: 0, entropy: 0, loss: 0, count: 0, batches: 0 });

/**
 * Phase 1's per-sample keep-probability of each op at `progress` (0 → 1, the fraction of pretraining steps
 * done): 1 through the first half, then falling linearly to 0.5 at the end. Per step, not per epoch, so that
 * a one-epoch pretraining (the CLI's short budget) also trains on dropped ops before the search judges its
 * sparse paths; per epoch, its only epoch would keep every op.
 */
export function keepProbability(progress: number): number {
  return progress <= 0.5 ? 1 : 1 - 0.5 * Math.min(1, (progress - 0.5) / 0.5);
}

/** Search epochs whose end is kept as a variant: `count` evenly spaced ones ending with the last (distinct). */
export function variantEpochs(epochs: number, count: number): number[] {
  if (count === 1) return [epochs - 1];
  const picked = Array.from({ length: count }, (_, i) => Math.round((i * (epochs - 1)) / (count - 1)));
  return [...new Set(picked)];
}

/** The meta-graph's learning rate: netLr, ×0.1 every lrStep epochs of weight training after pretraining. */
export function netLearningRate(options: Pick<InstanasOptions, 'netLr' | 'lrStep'>, epochsAfterPretraining: number): number {
  return options.netLr * 0.1 ** Math.floor(Math.max(0, epochsAfterPretraining) / options.lrStep);
}

/** A model's weights and BN buffers under a prefix ('g' meta-graph, 'c' controller, 'b' baseline). */
export function modelTensors(prefix: string, params: ParamStore, out = new Map<string, tf.Variable>()): Map<string, tf.Variable> {
  for (const [k, v] of params.trainable) out.set(`${prefix}/w/${k}`, v);
  for (const [k, v] of params.buffers) out.set(`${prefix}/buf/${k}`, v);
  return out;
}

/** An optimiser's moment tensors keyed by the parameter's stable name instead of its tfjs variable name. */
export function optimizerTensors(prefix: string, optimizer: Sgd | Adam, params: ParamStore, out: Map<string, tf.Variable>): Map<string, tf.Variable> {
  const byVarName = new Map([...params.trainable].map(([k, v]) => [v.name, k]));
  for (const [k, v] of optimizer.stateTensors()) out.set(`${prefix}/${k.replace(/\/(.*)$/, (_, n: string) => `/${byVarName.get(n) ?? n}`)}`, v);
  return out;
}
