import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../engine/tf';
import { describeConfigDifferences, type SearchConfig } from '../../../shared/config';
import { INSTANAS_METRICS, type InstanasLatency } from '../../../shared/instanas';
import { MOBILENET_OPS, policyLatency } from '../../../shared/spaces/mobilenet';
import { Batcher, type BatcherOptions } from '../data/batcher';
import type { ImageSet, Normalization } from '../data/image-set';
import { loadCheckpoint, restoreVariables, saveCheckpoint } from '../engine/checkpoint';
import { applyBnUpdates, type ForwardContext } from '../engine/layers';
import { Adam, Sgd } from '../engine/optim';
import { Rng, hashSeed } from '../engine/rng';
import { measureLatencyTable } from '../estimation/instanas-latency';
import { MobilenetMetaGraph, policyMasks, type PolicyMasks } from '../spaces/mobilenet';
import { batchTensors, correctCount, crossEntropy, disposeGrads, evaluate, runEpochSteps } from './one-shot';
import { searchData } from './one-shot-state';
import { NonFiniteLossError, type DartsConfig, type DartsOutcome, type Emit, type SearchControl } from './one-shot-types';
import { InstanasController } from './instanas-controller';
import { distinctPolicies, evaluateGreedy, policySnapshot } from './instanas-evaluation';
import { boundProbabilities, controllerLoss, greedyPolicies, instanceReward, latencyWindow, meanStd, samplePolicies, shufflePolicies } from './instanas-policy';
import { META_GRAPH_FILE, POLICY_RULE, type InstanasModelDescription } from './instanas-export';
import { emptyControllerSums, keepProbability, modelTensors, netLearningRate, optimizerTensors, variantEpochs, type InstanasOptions, type InstanasState } from './instanas-state';

// InstaNAS search (ALGORITHMS.md §6): phase 1 pretrains the meta-graph one-shot (all ops on, then per-sample
// op dropout); phase 2 alternates a controller pass (sampled vs greedy policies, the accuracy × latency reward,
// self-critical advantage, entropy bonus, Adam) and a fine-tuning pass of the meta-graph (shuffled policies);
// then the MobileNetV2-like baseline (op 0 everywhere) trains under the same weight-training budget. Every
// random draw comes from a generator derived from (seed, step), so a pause or crash resumes bit for bit.

export interface InstanasContext {
  config: SearchConfig;
  data: { train: ImageSet; test: ImageSet; normalization: Normalization };
  inputShape: [number, number, number];
  environment: { backend: string; device: string };
  emit: Emit;
  runDir: string;
  checkpointPath(epoch: number, stepInEpoch: number, globalStep: number): string;
  /** A table measured before (another run's on this machine, a test's): used instead of measuring one. */
  latency?: InstanasLatency | null;
}

const EVAL: ForwardContext = { training: false, bnUpdates: null };
type StepResult = { loss: number; correct: number; count: number };

export class InstanasSearch {
  readonly graph: MobilenetMetaGraph;
  readonly controller: InstanasController;
  readonly baseline: MobilenetMetaGraph;
  readonly options: InstanasOptions;
  private readonly gVars: Map<string, tf.Variable>;
  private readonly cVars: Map<string, tf.Variable>;
  private readonly bVars: Map<string, tf.Variable>;
  private readonly sgd: Sgd;
  private readonly adam: Adam;
  private readonly baselineSgd: Sgd;
  private readonly batcherOptions: { train: BatcherOptions; val: BatcherOptions; baseline: BatcherOptions };
  private readonly evalOptions: BatcherOptions;
  private readonly valSet: ImageSet;
  private train: Batcher;
  private val: Batcher;
  private baselineBatches: Batcher;
  state: InstanasState;

  constructor(readonly ctx: InstanasContext) {
    const { config } = ctx;
    if (config.strategy.name !== 'instanas' || config.space.name !== 'mobilenet') {
      throw new Error(`InstaNAS searches the mobilenet space; got strategy '${config.strategy.name}' in space '${config.space.name}'.`);
    }
    this.options = config.strategy;
    const classes = ctx.data.train.classes;
    this.graph = new MobilenetMetaGraph(config.space, { inputShape: ctx.inputShape, classes }, new Rng(hashSeed(config.seed, 1)));
    this.controller = new InstanasController(ctx.inputShape[2], this.graph.blocks.length * MOBILENET_OPS.length, new Rng(hashSeed(config.seed, 2)));
    this.baseline = new MobilenetMetaGraph(config.space, { inputShape: ctx.inputShape, classes, opSet: [0] }, new Rng(hashSeed(config.seed, 3)));
    const byName = (vars: tf.Variable[]) => new Map(vars.map((v) => [v.name, v]));
    this.gVars = byName(this.graph.params.trainableList());
    this.cVars = byName(this.controller.params.trainableList());
    this.bVars = byName(this.baseline.params.trainableList());
    this.sgd = new Sgd(this.gVars, this.options.momentum, this.options.weightDecay);
    this.adam = new Adam(this.cVars, 0.9, 0.999, 0);
    this.baselineSgd = new Sgd(this.bVars, this.options.momentum, this.options.weightDecay);
    const d = searchData({ batchSize: config.batchSize, seed: config.seed, trainPortion: config.trainPortion, augment: config.augment } as DartsConfig, ctx.data);
    this.batcherOptions = { ...d.batcherOptions, baseline: { ...d.batcherOptions.train, seed: hashSeed(config.seed, 14) } };
    this.train = d.trainBatches;
    this.val = d.valBatches;
    this.baselineBatches = new Batcher(d.trainBatches.set, this.batcherOptions.baseline);
    this.valSet = d.valSet;
    this.evalOptions = d.evalOptions;
    this.state = {
      version: 1,
      kind: 'instanas',
      phase: 'pretrain',
      epoch: 0,
      stepInEpoch: 0,
      globalStep: 0,
      train: this.train.state(),
      val: this.val.state(),
      baseline: this.baselineBatches.state(),
      adam: this.adam.stateJson(),
      epochAcc: { loss: 0, correct: 0, count: 0 },
      controller: emptyControllerSums(),
      latency: null,
      variants: [],
      lastAccuracy: { train: 0, val: 0 },
      runConfig: config,
    };
  }

  get epoch(): number {
    return this.progressEpoch;
  }

  /** Epochs the progress bar counts: pretraining, search, and the baseline's pretraining + search budget. */
  get totalEpochs(): number {
    const { pretrainEpochs: P, epochs: E } = this.options;
    return 2 * (P + E);
  }

  private get progressEpoch(): number {
    const { pretrainEpochs: P, epochs: E } = this.options;
    const offset = { pretrain: 0, search: P, baseline: P + E, done: 2 * (P + E) }[this.state.phase];
    return offset + (this.state.phase === 'done' ? 0 : this.state.epoch);
  }

  private get stepsPerEpoch(): number {
    if (this.state.phase === 'search') return this.val.stepsPerEpoch + this.train.stepsPerEpoch;
    return this.state.phase === 'baseline' ? this.baselineBatches.stepsPerEpoch : this.train.stepsPerEpoch;
  }

  private checkpointTensors(): Map<string, tf.Variable> {
    const out = modelTensors('g', this.graph.params);
    modelTensors('c', this.controller.params, out);
    modelTensors('b', this.baseline.params, out);
    optimizerTensors('g', this.sgd, this.graph.params, out);
    optimizerTensors('c', this.adam, this.controller.params, out);
    return optimizerTensors('b', this.baselineSgd, this.baseline.params, out);
  }

  async saveCheckpoint(): Promise<void> {
    Object.assign(this.state, { train: this.train.state(), val: this.val.state(), baseline: this.baselineBatches.state(), adam: this.adam.stateJson() });
    const info = await saveCheckpoint(this.ctx.checkpointPath(this.progressEpoch, this.state.stepInEpoch, this.state.globalStep), this.checkpointTensors(), this.state);
    this.ctx.emit({ type: 'checkpoint', epoch: this.progressEpoch, ...info });
  }

  restore(path: string): void {
    const ckpt = loadCheckpoint(path);
    const state = ckpt.state as InstanasState;
    if (!state || state.version !== 1 || state.kind !== 'instanas') throw new Error(`Checkpoint ${path} was not written by an InstaNAS search, so it cannot continue one.`);
    const differences = describeConfigDifferences(state.runConfig, this.ctx.config);
    if (differences.length) throw new Error(`Checkpoint ${path} belongs to a search with other settings: ${differences.join('; ')}. Restart the run, or clone it with the checkpoint's settings.`);
    restoreVariables(ckpt, this.checkpointTensors());
    this.adam.loadStateJson(state.adam);
    this.train = Batcher.restore(this.train.set, this.batcherOptions.train, state.train);
    this.val = Batcher.restore(this.val.set, this.batcherOptions.val, state.val);
    this.baselineBatches = Batcher.restore(this.baselineBatches.set, this.batcherOptions.baseline, state.baseline);
    this.state = state;
  }

  /** The latency table: measured at the first start, then always the stored one (never re-measured mid-run). */
  private async ensureLatency(): Promise<void> {
    if (this.state.latency) return;
    if (this.ctx.latency) {
      this.state.latency = this.ctx.latency;
      return;
    }
    this.ctx.emit({ type: 'log', level: 'info', message: `Measuring the latency of each block's ${MOBILENET_OPS.length} ops at batch 1 on ${this.ctx.environment.backend}…` });
    const latency = await measureLatencyTable(this.graph, this.ctx.environment);
    this.state.latency = latency;
    const dir = join(this.ctx.runDir, 'instanas');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'latency.json'), `${JSON.stringify(latency, null, 2)}\n`);
    writeFileSync(join(dir, META_GRAPH_FILE), `${JSON.stringify(this.describe(), null, 2)}\n`);
    const f = (ms: number) => `${ms.toFixed(2)} ms`;
    this.ctx.emit({ type: 'log', level: 'info', message: `Latency table: baseline (op 0 everywhere) ${f(latency.baseline)}, all ops ${f(latency.allOps)}, cheapest ${f(latency.min)}.` });
  }

  /** What an exported variant needs beside its weights: the meta-graph, the controller, the input and the table. */
  describe(): InstanasModelDescription {
    const { config, data, inputShape } = this.ctx;
    return {
      space: config.space as InstanasModelDescription['space'],
      inputShape,
      classes: data.train.classes,
      normalization: { mean: [...data.normalization.mean], std: [...data.normalization.std] },
      preprocessing: config.augment ? 'centre the image in a 32×32 canvas of zeros, then normalise' : 'normalise',
      layout: this.graph.layout,
      ops: [...MOBILENET_OPS],
      controller: 'ResNet: 3×3 conv 16 → BN → ReLU; basic blocks 16 (stride 1), 32 (stride 2), 64 (stride 2); global average pool; linear to blocks×5; sigmoid',
      policyRule: POLICY_RULE,
      latency: this.state.latency,
    };
  }

  /** One SGD step of a meta-graph on a batch, each sample under its masks (null = every built op on). */
  private weightStep(net: MobilenetMetaGraph, vars: Map<string, tf.Variable>, sgd: Sgd, x: tf.Tensor4D, y: tf.Tensor1D, lr: number, masks: PolicyMasks | null): StepResult {
    const ctx: ForwardContext = { training: true, bnUpdates: [] };
    let logits: tf.Tensor2D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      logits = tf.keep(masks ? net.forwardMasked(ctx, x, masks) : net.forward(ctx, x));
      return crossEntropy(logits, y);
    }, [...vars.values()]);
    const loss = value.dataSync()[0];
    const correct = correctCount(logits!, y);
    applyBnUpdates(ctx.bnUpdates!);
    if (!Number.isFinite(loss)) {
      disposeGrads(grads);
      throw new NonFiniteLossError(loss, this.progressEpoch, this.state.stepInEpoch);
    }
    sgd.step(grads, lr);
    disposeGrads(grads);
    return { loss, correct, count: y.shape[0] };
  }

  private pretrainStep(): StepResult {
    const batch = this.train.next();
    const keep = keepProbability(this.state.epoch, this.options.pretrainEpochs);
    const T = this.graph.blocks.length;
    return tf.tidy(() => {
      const { x, y } = batchTensors(batch);
      const n = batch.y.length;
      const drops = keep < 1 ? samplePolicies(new Float32Array(n * T * MOBILENET_OPS.length).fill(keep), Rng.derive(this.ctx.config.seed, 31, this.state.globalStep)) : null;
      return this.weightStep(this.graph, this.gVars, this.sgd, x, y, this.options.netLr, drops ? policyMasks(drops, this.graph.blocks, n) : null);
    });
  }

  /** Controller pass (G frozen, eval mode): rewards of sampled and greedy policies, self-critical policy gradient. */
  private controllerStep(): StepResult {
    const batch = this.val.next();
    const { bound, entropyWeight } = this.options;
    const window = latencyWindow(this.state.epoch, this.options.epochs, this.state.latency!, this.options.latencyWindow);
    const rng = Rng.derive(this.ctx.config.seed, 32, this.state.globalStep);
    tf.tidy(() => {
      const { x } = batchTensors(batch);
      const n = batch.y.length;
      const probs = this.controller.probabilities({ training: true, bnUpdates: null }, x);
      const bounded = boundProbabilities(probs, bound).dataSync() as Float32Array;
      const greedy = greedyPolicies(probs.dataSync() as Float32Array);
      const sampled = samplePolicies(bounded, rng);
      const rewards = (policies: Uint8Array) => {
        const predicted = tf.argMax(this.graph.forwardMasked(EVAL, x, policyMasks(policies, this.graph.blocks, n)), 1).dataSync();
        const width = policies.length / n;
        return Array.from({ length: n }, (_, i) =>
          instanceReward(predicted[i] === batch.y[i], policyLatency(this.state.latency!.table, this.graph.blocks, policies.subarray(i * width, (i + 1) * width)), window, this.options),
        );
      };
      const rs = rewards(sampled);
      const rg = rewards(greedy);
      const advantage = tf.tensor1d(rs.map((r, i) => r - rg[i]));
      const m = tf.tensor2d(Float32Array.from(sampled), [n, sampled.length / n]);
      const bnUpdates: Array<[tf.Variable, tf.Tensor]> = [];
      const { value, grads } = tf.variableGrads(
        () => controllerLoss(boundProbabilities(this.controller.probabilities({ training: true, bnUpdates }, x), bound) as tf.Tensor2D, m, advantage, entropyWeight),
        [...this.cVars.values()],
      );
      applyBnUpdates(bnUpdates);
      this.adam.step(grads, this.options.controllerLr);
      disposeGrads(grads);
      const sums = this.state.controller;
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
  private finetuneStep(): StepResult {
    const batch = this.train.next();
    const rng = Rng.derive(this.ctx.config.seed, 33, this.state.globalStep);
    return tf.tidy(() => {
      const { x, y } = batchTensors(batch);
      const n = batch.y.length;
      const bounded = boundProbabilities(this.controller.probabilities(EVAL, x), this.options.bound).dataSync() as Float32Array;
      const shuffled = shufflePolicies(samplePolicies(bounded, rng), n, rng).policies;
      const lr = netLearningRate(this.options, this.state.epoch);
      return this.weightStep(this.graph, this.gVars, this.sgd, x, y, lr, policyMasks(shuffled, this.graph.blocks, n));
    });
  }

  private baselineStep(): StepResult {
    const batch = this.baselineBatches.next();
    const lr = netLearningRate(this.options, this.state.epoch - this.options.pretrainEpochs);
    return tf.tidy(() => {
      const { x, y } = batchTensors(batch);
      return this.weightStep(this.baseline, this.bVars, this.baselineSgd, x, y, lr, null);
    });
  }

  private step(): StepResult {
    switch (this.state.phase) {
      case 'pretrain':
        return this.pretrainStep();
      case 'search':
        return this.state.stepInEpoch < this.val.stepsPerEpoch ? this.controllerStep() : this.finetuneStep();
      default:
        return this.baselineStep();
    }
  }

  /** Evaluation preprocessing (centred, unshuffled); the result times single test images with it. */
  get evalBatchOptions(): BatcherOptions {
    return this.evalOptions;
  }

  *evalBatches(set: ImageSet = this.valSet) {
    const b = new Batcher(set, this.evalOptions);
    for (let i = 0; i < b.stepsPerEpoch; i++) yield b.batchAt(0, i);
  }

  async run(control: SearchControl): Promise<DartsOutcome> {
    await this.ensureLatency();
    while (this.state.phase !== 'done') {
      const started = Date.now();
      const signal = await runEpochSteps(this.state, () => this.stepsPerEpoch, control, () => this.step(), (r) => {
        if (r.count > 0) this.emitMetrics({ train_loss: r.loss, train_acc: r.correct / r.count });
        this.ctx.emit({ type: 'progress', epoch: this.progressEpoch, epochs: this.totalEpochs, step: this.state.stepInEpoch, stepsPerEpoch: this.stepsPerEpoch });
      });
      if (signal) {
        if (signal === 'pause') await this.saveCheckpoint();
        return this.outcome(signal === 'pause' ? 'paused' : 'stopped');
      }
      this.endOfEpoch((Date.now() - started) / 1000);
      if (this.state.phase === 'search' && variantEpochs(this.options.epochs, this.options.variants).includes(this.state.epoch - 1)) await this.keepVariant(this.state.epoch - 1);
      this.advancePhase();
      await this.saveCheckpoint();
    }
    return this.outcome('completed');
  }

  private emitMetrics(values: Record<string, number>, epoch = this.progressEpoch): void {
    this.ctx.emit({ type: 'metrics', step: this.state.globalStep, epoch, values });
  }

  /** Validation, metrics, snapshot and log of the epoch just trained; moves `epoch` on (the phase may end). */
  private endOfEpoch(seconds: number): void {
    const { phase, epoch } = this.state;
    const at = this.progressEpoch;
    const acc = this.state.epochAcc;
    const train = { loss: acc.loss / Math.max(acc.count, 1), acc: acc.correct / Math.max(acc.count, 1) };
    let message: string;
    if (phase === 'pretrain') {
      const val = evaluate(this.graph, this.evalBatches());
      const keep = keepProbability(epoch, this.options.pretrainEpochs);
      this.emitMetrics({ epoch_train_loss: train.loss, epoch_train_acc: train.acc, val_loss: val.loss, val_acc: val.accuracy, [INSTANAS_METRICS.keepProb]: keep, epoch_seconds: seconds }, at);
      this.state.lastAccuracy = { train: train.acc, val: val.accuracy };
      message = `pretraining epoch ${epoch + 1}/${this.options.pretrainEpochs} (keep ${keep.toFixed(2)}): train acc ${(100 * train.acc).toFixed(2)}%, val acc (all ops) ${(100 * val.accuracy).toFixed(2)}%`;
    } else if (phase === 'search') {
      const e = evaluateGreedy(this.graph, this.controller, this.evalBatches(), this.state.latency!.table);
      const lat = meanStd(e.latencies);
      const window = latencyWindow(epoch, this.options.epochs, this.state.latency!, this.options.latencyWindow);
      const c = this.state.controller;
      const M = INSTANAS_METRICS;
      this.emitMetrics(
        {
          epoch_train_loss: train.loss,
          epoch_train_acc: train.acc,
          val_loss: e.loss,
          val_acc: e.accuracy,
          [M.reward]: c.reward / Math.max(c.count, 1),
          [M.greedyReward]: c.greedyReward / Math.max(c.count, 1),
          [M.policyAccuracy]: e.accuracy,
          [M.meanLatency]: lat.mean,
          [M.stdLatency]: lat.std,
          [M.windowLow]: window.lb,
          [M.windowHigh]: window.ub,
          [M.distinctPolicies]: distinctPolicies(e),
          [M.entropy]: c.entropy / Math.max(c.count, 1),
          controller_loss: c.loss / Math.max(c.batches, 1),
          epoch_seconds: seconds,
        },
        at,
      );
      this.ctx.emit({ type: 'snapshot', epoch: at, kind: 'policy', payload: policySnapshot(e, this.graph.blocks.length) });
      this.state.lastAccuracy = { train: train.acc, val: e.accuracy };
      this.lastSearchEpoch = { valAccuracy: e.accuracy, meanLatency: lat.mean, stdLatency: lat.std, distinct: distinctPolicies(e) };
      message = `search epoch ${epoch + 1}/${this.options.epochs}: val acc ${(100 * e.accuracy).toFixed(2)}% at ${lat.mean.toFixed(2)} ± ${lat.std.toFixed(2)} ms (window ${window.lb.toFixed(2)}–${window.ub.toFixed(2)} ms), reward ${(c.reward / Math.max(c.count, 1)).toFixed(2)}, ${distinctPolicies(e)} distinct policies`;
    } else {
      const val = evaluate(this.baseline, this.evalBatches());
      this.emitMetrics({ baseline_train_loss: train.loss, baseline_train_acc: train.acc, baseline_val_loss: val.loss, baseline_val_acc: val.accuracy, epoch_seconds: seconds }, at);
      message = `baseline epoch ${epoch + 1}/${this.options.pretrainEpochs + this.options.epochs}: train acc ${(100 * train.acc).toFixed(2)}%, val acc ${(100 * val.accuracy).toFixed(2)}%`;
    }
    this.ctx.emit({ type: 'log', level: 'info', message });
    Object.assign(this.state, { epoch: epoch + 1, stepInEpoch: 0, epochAcc: { loss: 0, correct: 0, count: 0 }, controller: emptyControllerSums() });
  }

  private lastSearchEpoch = { valAccuracy: 0, meanLatency: 0, stdLatency: 0, distinct: 0 };

  private advancePhase(): void {
    const { pretrainEpochs: P, epochs: E } = this.options;
    const s = this.state;
    if (s.phase === 'pretrain' && s.epoch >= P) Object.assign(s, { phase: 'search', epoch: 0 });
    else if (s.phase === 'search' && s.epoch >= E) Object.assign(s, { phase: 'baseline', epoch: 0 });
    else if (s.phase === 'baseline' && s.epoch >= P + E) Object.assign(s, { phase: 'done', epoch: 0 });
  }

  /** The meta-graph and controller at the end of search epoch `epoch`, kept in the run folder as a variant. */
  private async keepVariant(epoch: number): Promise<void> {
    const checkpoint = join('instanas', `variant-epoch-${String(epoch + 1).padStart(4, '0')}.ckpt`);
    const tensors = modelTensors('c', this.controller.params, modelTensors('g', this.graph.params));
    await saveCheckpoint(join(this.ctx.runDir, checkpoint), tensors, { kind: 'instanas-variant', epoch });
    this.state.variants = [...this.state.variants.filter((v) => v.epoch !== epoch), { epoch, checkpoint, ...this.lastSearchEpoch }];
  }

  /** Loads a variant's meta-graph and controller weights (the final evaluation walks them). */
  loadVariant(checkpoint: string): void {
    restoreVariables(loadCheckpoint(join(this.ctx.runDir, checkpoint)), modelTensors('c', this.controller.params, modelTensors('g', this.graph.params)));
  }

  private outcome(status: DartsOutcome['status']): DartsOutcome {
    return {
      status,
      ops: [...MOBILENET_OPS],
      weights: {},
      trainAccuracy: this.state.lastAccuracy.train,
      valAccuracy: this.state.lastAccuracy.val,
      epochsDone: this.progressEpoch,
      wallEpochs: this.progressEpoch,
    };
  }

  dispose(): void {
    this.sgd.dispose();
    this.adam.dispose();
    this.baselineSgd.dispose();
    this.graph.dispose();
    this.controller.dispose();
    this.baseline.dispose();
  }
}
