import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '../engine/tf';
import { describeConfigDifferences, type SearchConfig } from '../../../shared/config';
import type { InstanasLatency } from '../../../shared/instanas';
import { MOBILENET_OPS } from '../../../shared/spaces/mobilenet';
import { Batcher, type Batch, type BatcherOptions } from '../data/batcher';
import type { ImageSet, Normalization } from '../data/image-set';
import { loadCheckpoint, restoreVariables, saveCheckpoint } from '../engine/checkpoint';
import { Adam, Sgd } from '../engine/optim';
import { Rng, hashSeed } from '../engine/rng';
import { measureLatencyTable } from '../estimation/instanas-latency';
import { MobilenetMetaGraph } from '../spaces/mobilenet';
import { runEpochSteps } from './one-shot';
import { searchData } from './one-shot-state';
import type { DartsConfig, DartsOutcome, Emit, SearchControl } from './one-shot-types';
import { InstanasController } from './instanas-controller';
import { reportEpoch, type SearchEpochFigures } from './instanas-epoch';
import { META_GRAPH_FILE, POLICY_RULE, type InstanasModelDescription } from './instanas-export';
import { emptyControllerSums, modelTensors, optimizerTensors, variantEpochs, type InstanasOptions, type InstanasState } from './instanas-state';
import { phaseStep, type InstanasParts } from './instanas-steps';

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

/** Training images whose BN statistics a recalibration averages (at most; the split may hold fewer). */
const CALIBRATION_IMAGES = 256;

export class InstanasSearch implements InstanasParts {
  readonly graph: MobilenetMetaGraph;
  readonly controller: InstanasController;
  readonly baseline: MobilenetMetaGraph;
  readonly options: InstanasOptions;
  readonly gVars: Map<string, tf.Variable>;
  readonly cVars: Map<string, tf.Variable>;
  readonly bVars: Map<string, tf.Variable>;
  readonly sgd: Sgd;
  readonly adam: Adam;
  readonly baselineSgd: Sgd;
  private readonly batcherOptions: { train: BatcherOptions; val: BatcherOptions; baseline: BatcherOptions };
  private readonly evalOptions: BatcherOptions;
  private readonly valSet: ImageSet;
  private readonly calibration: Batch[];
  train: Batcher;
  val: Batcher;
  baselineBatches: Batcher;
  state: InstanasState;
  private lastSearchEpoch: SearchEpochFigures = { valAccuracy: 0, meanLatency: 0, stdLatency: 0, distinct: 0 };

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
    // Evaluated at the training batch: an all-ops forward keeps every op's activations until the batch ends,
    // and at 32×32 a batch of 128 outgrows wasm's 4 GB where the training batch fits.
    this.evalOptions = { ...d.evalOptions, batchSize: config.batchSize };
    const calibration = new Batcher(d.trainBatches.set, { ...d.evalOptions, batchSize: config.batchSize });
    const calibrationSteps = Math.max(1, Math.min(calibration.stepsPerEpoch, Math.floor(CALIBRATION_IMAGES / config.batchSize)));
    this.calibration = Array.from({ length: calibrationSteps }, (_, i) => calibration.batchAt(0, i));
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

  get config(): SearchConfig {
    return this.ctx.config;
  }

  calibrationBatches(): Batch[] {
    return this.calibration;
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
      const signal = await runEpochSteps(this.state, () => this.stepsPerEpoch, control, () => phaseStep(this), (r) => {
        if (r.count > 0) this.ctx.emit({ type: 'metrics', step: this.state.globalStep, epoch: this.progressEpoch, values: { train_loss: r.loss, train_acc: r.correct / r.count } });
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

  /** Validation, metrics and log of the epoch just trained; moves `epoch` on (the phase may end). */
  private endOfEpoch(seconds: number): void {
    const figures = reportEpoch(this, this.progressEpoch, seconds);
    if (figures) this.lastSearchEpoch = figures;
    Object.assign(this.state, { epoch: this.state.epoch + 1, stepInEpoch: 0, epochAcc: { loss: 0, correct: 0, count: 0 }, controller: emptyControllerSums() });
  }

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
