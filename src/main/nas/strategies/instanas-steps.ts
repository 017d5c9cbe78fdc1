import * as tf from '../engine/tf';
import type { SearchConfig } from '../../../shared/config';
import { MOBILENET_OPS, policyLatency } from '../../../shared/spaces/mobilenet';
import type { Batch, Batcher } from '../data/batcher';
import { applyBnUpdates, type ForwardContext } from '../engine/layers';
import type { Adam, Sgd } from '../engine/optim';
import { Rng } from '../engine/rng';
import { policyMasks, type MobilenetMetaGraph, type PolicyMasks } from '../spaces/mobilenet';
import { batchTensors, crossEntropy, disposeGrads, tapedLossAndGrads } from './one-shot';
import { NonFiniteLossError } from './one-shot-types';
import type { InstanasController } from './instanas-controller';
import { recalibrateBatchNorm } from './instanas-bn';
import { boundProbabilities, controllerLoss, greedyPolicies, instanceReward, latencyWindow, samplePolicies, shufflePolicies } from './instanas-policy';
import { keepProbability, netLearningRate, type InstanasOptions, type InstanasState } from './instanas-state';

// One training step of each InstaNAS phase (ALGORITHMS.md §6): pretraining with per-sample op dropout, the
// controller's policy-gradient step, the meta-graph's fine-tuning on shuffled policies, the baseline's plain
// SGD step; and the BatchNorm recalibrations that precede every eval-mode use of a network. Every random draw
// comes from a generator derived from (seed, stream, global step), so a resumed run draws the same.

export const EVAL: ForwardContext = { training: false, bnUpdates: null };
export type StepResult = { loss: number; correct: number; count: number };

/** What the steps read and update of a search (InstanasSearch implements it). */
export interface InstanasParts {
  readonly config: SearchConfig;
  readonly options: InstanasOptions;
  readonly state: InstanasState;
  readonly graph: MobilenetMetaGraph;
  readonly controller: InstanasController;
  readonly baseline: MobilenetMetaGraph;
  readonly gVars: Map<string, tf.Variable>;
  readonly cVars: Map<string, tf.Variable>;
  readonly bVars: Map<string, tf.Variable>;
  readonly sgd: Sgd;
  readonly adam: Adam;
  readonly baselineSgd: Sgd;
  readonly train: Batcher;
  readonly val: Batcher;
  readonly baselineBatches: Batcher;
  /** Fixed, unshuffled training batches with evaluation preprocessing: the BatchNorm recalibration's data. */
  calibrationBatches(): Batch[];
  /** The progress bar's epoch (error messages). */
  readonly epoch: number;
}

/** One SGD step of a meta-graph on a batch, each sample under its masks (null = every built op on). */
function weightStep(s: InstanasParts, net: MobilenetMetaGraph, vars: Map<string, tf.Variable>, sgd: Sgd, batch: Batch, lr: number, masks: PolicyMasks | null): StepResult {
  return tf.tidy(() => {
    const { x, y } = batchTensors(batch);
    const ctx: ForwardContext = { training: true, bnUpdates: [] };
    const { loss, correct, grads } = tapedLossAndGrads(ctx, y, [...vars.values()], () => {
      const logits = masks ? net.forwardMasked(ctx, x, masks) : net.forward(ctx, x);
      return { logits, loss: crossEntropy(logits, y) };
    });
    if (!Number.isFinite(loss)) {
      disposeGrads(grads);
      throw new NonFiniteLossError(loss, s.epoch, s.state.stepInEpoch);
    }
    sgd.step(grads, lr);
    disposeGrads(grads);
    return { loss, correct, count: y.shape[0] };
  });
}

export function pretrainStep(s: InstanasParts): StepResult {
  const batch = s.train.next();
  const keep = keepProbability((s.state.epoch + s.state.stepInEpoch / s.train.stepsPerEpoch) / s.options.pretrainEpochs);
  const n = batch.y.length;
  const bits = n * s.graph.blocks.length * MOBILENET_OPS.length;
  const drops = keep < 1 ? samplePolicies(new Float32Array(bits).fill(keep), Rng.derive(s.config.seed, 31, s.state.globalStep)) : null;
  return weightStep(s, s.graph, s.gVars, s.sgd, batch, s.options.netLr, drops ? policyMasks(drops, s.graph.blocks, n) : null);
}

/** Controller pass (G frozen, eval mode): rewards of sampled and greedy policies, self-critical policy gradient. */
export function controllerStep(s: InstanasParts): StepResult {
  const batch = s.val.next();
  const { bound, entropyWeight } = s.options;
  const latency = s.state.latency!;
  const window = latencyWindow(s.state.epoch, s.options.epochs, latency, s.options.latencyWindow);
  const rng = Rng.derive(s.config.seed, 32, s.state.globalStep);
  tf.tidy(() => {
    const { x } = batchTensors(batch);
    const n = batch.y.length;
    const probs = s.controller.probabilities({ training: true, bnUpdates: null }, x);
    const bounded = boundProbabilities(probs, bound).dataSync() as Float32Array;
    const greedy = greedyPolicies(probs.dataSync() as Float32Array);
    const sampled = samplePolicies(bounded, rng);
    const rewards = (policies: Uint8Array) => {
      const predicted = tf.argMax(s.graph.forwardMasked(EVAL, x, policyMasks(policies, s.graph.blocks, n)), 1).dataSync();
      const width = policies.length / n;
      return Array.from({ length: n }, (_, i) =>
        instanceReward(predicted[i] === batch.y[i], policyLatency(latency.table, s.graph.blocks, policies.subarray(i * width, (i + 1) * width)), window, s.options),
      );
    };
    const rs = rewards(sampled);
    const rg = rewards(greedy);
    const advantage = tf.tensor1d(rs.map((r, i) => r - rg[i]));
    const m = tf.tensor2d(Float32Array.from(sampled), [n, sampled.length / n]);
    const bnUpdates: Array<[tf.Variable, tf.Tensor]> = [];
    const { value, grads } = tf.variableGrads(
      () => controllerLoss(boundProbabilities(s.controller.probabilities({ training: true, bnUpdates }, x), bound) as tf.Tensor2D, m, advantage, entropyWeight),
      [...s.cVars.values()],
    );
    applyBnUpdates(bnUpdates);
    s.adam.step(grads, s.options.controllerLr);
    disposeGrads(grads);
    const sums = s.state.controller;
    sums.reward += rs.reduce((a, b) => a + b, 0);
    sums.greedyReward += rg.reduce((a, b) => a + b, 0);
    sums.entropy += bounded.reduce((a, p) => a - p * Math.log(p) - (1 - p) * Math.log(1 - p), 0) / (bounded.length / n);
    sums.loss += value.dataSync()[0];
    sums.count += n;
    sums.batches += 1;
  });
  return { loss: 0, correct: 0, count: 0 };
}

/** Fine-tuning pass (controller frozen): sampled policies shuffled across the batch, SGD on G. */
export function finetuneStep(s: InstanasParts): StepResult {
  const batch = s.train.next();
  const rng = Rng.derive(s.config.seed, 33, s.state.globalStep);
  const n = batch.y.length;
  const bounded = tf.tidy(() => boundProbabilities(s.controller.probabilities(EVAL, batchTensors(batch).x), s.options.bound).dataSync() as Float32Array);
  const shuffled = shufflePolicies(samplePolicies(bounded, rng), n, rng).policies;
  const lr = netLearningRate(s.options, s.state.epoch);
  return weightStep(s, s.graph, s.gVars, s.sgd, batch, lr, policyMasks(shuffled, s.graph.blocks, n));
}

export function baselineStep(s: InstanasParts): StepResult {
  const batch = s.baselineBatches.next();
  const lr = netLearningRate(s.options, s.state.epoch - s.options.pretrainEpochs);
  return weightStep(s, s.baseline, s.bVars, s.baselineSgd, batch, lr, null);
}

/** The step of the current phase; a search epoch is its controller pass, then its fine-tuning pass. */
export function phaseStep(s: InstanasParts): StepResult {
  const { phase, stepInEpoch } = s.state;
  if (phase === 'pretrain') return pretrainStep(s);
  if (phase === 'search') {
    // A pass starts on statistics re-estimated for the weights it evaluates: the first controller pass here
    // (pretraining's validation had every op on), later ones by the previous epoch's validation; a resumed
    // pass kept them in its checkpoint.
    if (stepInEpoch === 0 && s.state.epoch === 0) {
      recalibrateController(s);
      recalibrateMetaGraph(s, 'greedy');
    }
    if (stepInEpoch === s.val.stepsPerEpoch) recalibrateController(s);
    return stepInEpoch < s.val.stepsPerEpoch ? controllerStep(s) : finetuneStep(s);
  }
  return baselineStep(s);
}

/** The controller's BN statistics for its current weights (its eval-mode policies drive fine-tuning and inference). */
export function recalibrateController(s: InstanasParts): void {
  recalibrateBatchNorm(s.calibrationBatches(), (ctx, b) => s.controller.probabilities(ctx, batchTensors(b).x));
}

/** G's BN statistics under every op on ('all': pretraining's validation) or the controller's greedy policies. */
export function recalibrateMetaGraph(s: InstanasParts, paths: 'all' | 'greedy'): void {
  recalibrateBatchNorm(s.calibrationBatches(), (ctx, b) => {
    const { x } = batchTensors(b);
    if (paths === 'all') return s.graph.forward(ctx, x);
    const greedy = greedyPolicies(s.controller.probabilities(EVAL, x).dataSync() as Float32Array);
    return s.graph.forwardMasked(ctx, x, policyMasks(greedy, s.graph.blocks, b.y.length));
  });
}

export function recalibrateBaseline(s: InstanasParts): void {
  recalibrateBatchNorm(s.calibrationBatches(), (ctx, b) => s.baseline.forward(ctx, batchTensors(b).x));
}
