import * as tf from '../engine/tf';
import { EPOCH_BENCHMARK_METRICS } from '../../../shared/benchmark-metrics';
import { Batcher, type BatcherOptions } from '../data/batcher';
import type { ImageSet, Normalization } from '../data/image-set';
import { restoreVariables, saveCheckpoint, type CheckpointInfo } from '../engine/checkpoint';
import { Adam, Sgd, clipByGlobalNorm, cosineLr, type NamedGrads } from '../engine/optim';
import { hashSeed } from '../engine/rng';
import type { Supernet } from '../engine/supernet';
import { CollapseMonitor } from './collapse';
import { dartsAlphaStep, type AlphaStepSetting } from './darts-alpha-step';
import { unrolledAlphaGrads } from './darts-second-order';
import { measureLambdaMax, undecidedSoftmaxRows } from './eigenvalue';
import { alphaWeights, batchTensors, disposeGrads, evaluate, lossAndGrads, runEpochSteps } from './one-shot';
import { loadSearchCheckpoint, searchCheckpointTensors, searchData } from './one-shot-state';
import { NonFiniteLossError, type DartsConfig, type DartsOutcome, type DartsSearchOptions, type DartsState, type Emit, type SearchControl } from './one-shot-types';

// DARTS bilevel search (ALGORITHMS.md §2): per minibatch an α step on D_val (first order, or second order
// with the finite-difference Hessian-vector term) then a w step on D_train (clip 5, SGD momentum, cosine lr).

export type { DartsConfig, DartsOutcome, DartsSearchOptions, DartsState, Emit, SearchControl } from './one-shot-types';

/** Builds the network lazily so that one class serves fresh starts and resumes. */
export class DartsSearch {
  readonly net: Supernet;
  protected readonly weightVars: Map<string, tf.Variable>;
  protected readonly alphaVars: Map<string, tf.Variable>;
  protected readonly sgd: Sgd;
  protected readonly adam: Adam;
  protected trainBatches: Batcher;
  protected valBatches: Batcher;
  protected readonly batcherOptions: { train: BatcherOptions; val: BatcherOptions };
  private readonly evalOptions: BatcherOptions;
  private readonly valSet: ImageSet;
  protected state: DartsState;
  protected lastTrainAcc = 0;
  protected lastValAcc = 0;

  constructor(
    readonly config: DartsConfig,
    net: Supernet,
    data: { train: ImageSet; normalization: Normalization },
    protected readonly emit: Emit,
    private readonly checkpointPath: (epoch: number, stepInEpoch: number, globalStep: number) => string,
    protected readonly options: DartsSearchOptions = {},
  ) {
    this.net = net;
    this.weightVars = new Map(net.params.trainableList().map((v) => [v.name, v]));
    this.alphaVars = new Map([...net.alphas.values()].map((v) => [v.name, v]));
    this.sgd = new Sgd(this.weightVars, config.momentum, config.wWeightDecay);
    this.adam = new Adam(this.alphaVars, config.alphaBeta1, config.alphaBeta2, config.alphaWeightDecay);
    const d = searchData(config, data);
    this.batcherOptions = d.batcherOptions;
    this.trainBatches = d.trainBatches;
    this.valBatches = d.valBatches;
    this.valSet = d.valSet;
    this.evalOptions = d.evalOptions;
    this.state = {
      version: 1,
      epoch: 0,
      stepInEpoch: 0,
      globalStep: 0,
      train: this.trainBatches.state(),
      val: this.valBatches.state(),
      adam: this.adam.stateJson(),
      epochAcc: { loss: 0, correct: 0, count: 0 },
    };
  }

  get stepsPerEpoch(): number {
    return this.trainBatches.stepsPerEpoch;
  }

  get epoch(): number {
    return this.state.epoch;
  }

  /** Every tensor a checkpoint must hold for an exact resume. */
  private checkpointTensors(): Map<string, tf.Variable> {
    return searchCheckpointTensors(this.net, this.sgd, this.adam);
  }

  async saveCheckpoint(): Promise<CheckpointInfo> {
    const info = await this.writeCheckpoint(this.checkpointPath(this.state.epoch, this.state.stepInEpoch, this.state.globalStep));
    this.emit({ type: 'checkpoint', epoch: this.state.epoch, ...info });
    return info;
  }

  /** Writes the whole search state to `path` (the resume checkpoint, or a rollback point of SGAS-es). */
  protected async writeCheckpoint(path: string): Promise<CheckpointInfo> {
    this.state.train = this.trainBatches.state();
    this.state.val = this.valBatches.state();
    this.state.adam = this.adam.stateJson();
    this.state.extra = this.saveExtra();
    this.state.collapse = this.collapse.save();
    if (this.options.runConfig) this.state.runConfig = this.options.runConfig;
    return saveCheckpoint(path, this.checkpointTensors(), this.state);
  }

  /** Subclass state to checkpoint; restored by `restoreExtra`. */
  protected saveExtra(): unknown {
    return undefined;
  }

  protected restoreExtra(_extra: unknown): void {}

  /**
   * Called at the end of every epoch, after validation and before the checkpoint: the collapse indicator
   * here; SGAS decides edges here.
   */
  protected async endOfEpoch(epoch: number): Promise<void> {
    const lambda = this.config.lambdaMax ? this.measureLambda() : null;
    if (lambda) this.emitEigenvalue(epoch, lambda, null);
    this.checkCollapse(epoch, lambda?.lambdaMax ?? null);
  }

  protected emitEigenvalue(epoch: number, lambda: { lambdaMax: number; iterations: number }, localAverage: number | null): void {
    this.emit({ type: 'eigenvalue', eigenvalue: { epoch, wallEpoch: this.wallEpoch - 1, lambdaMax: lambda.lambdaMax, localAverage, iterations: lambda.iterations } });
  }

  protected readonly collapse = new CollapseMonitor();

  /** Epochs trained so far, rollbacks included. */
  protected get wallEpoch(): number {
    return this.state.wallEpoch ?? this.state.epoch;
  }

  /** The ops of the cell the search would return now (SGAS: decided edges plus the forced rest). */
  protected currentCellOps(): string[] {
    return this.options.cellOps?.(alphaWeights(this.net), this.net.ops) ?? [];
  }

  protected checkCollapse(epoch: number, lambdaMax: number | null): void {
    const warning = this.collapse.observe(epoch, this.wallEpoch - 1, this.currentCellOps(), undecidedSoftmaxRows(this.net), lambdaMax);
    if (warning) {
      this.emit({ type: 'collapse', collapse: warning });
      this.emit({ type: 'log', level: 'warn', message: warning.message });
    }
  }

  /** λ_max on the last validation batch of the epoch (ALGORITHMS.md §4.1); null when every edge is decided. */
  protected measureLambda(): { lambdaMax: number; iterations: number } | null {
    return measureLambdaMax(
      this.net,
      this.valBatches.lastBatch(),
      { iterations: this.config.hessianIters ?? 20, alphaWeightDecay: this.config.alphaWeightDecay, recompute: this.config.recompute },
      hashSeed(this.config.seed, 21, this.wallEpoch),
    );
  }

  /** What the search has learnt about the architecture, snapshotted at each epoch's end: softmax(α) here. */
  protected architectureSnapshot(): { kind: 'alpha' | 'probabilities'; payload: { ops: string[]; cells: Record<string, number[][]> } } | null {
    return { kind: 'alpha', payload: { ops: [...this.net.ops], cells: alphaWeights(this.net) } };
  }

  /** The weights per cell type the space derives the final architecture from: softmax(α) here. */
  protected architectureWeights(): Record<string, number[][]> {
    return alphaWeights(this.net);
  }

  /** The table score of the cell the search would return now, as the epoch's bench_* metrics (NAS-Bench-201). */
  private emitBenchmark(epoch: number): void {
    const ops = this.options.scoreCell ? this.currentCellOps() : [];
    const score = ops.length ? this.options.scoreCell?.(ops) : null;
    if (!score) return;
    const values: Record<string, number> = { [EPOCH_BENCHMARK_METRICS.cifar10]: score.cifar10, [EPOCH_BENCHMARK_METRICS.cifar100]: score.cifar100 };
    values[EPOCH_BENCHMARK_METRICS.imagenet16] = score.imagenet16;
    values[EPOCH_BENCHMARK_METRICS.rank] = score.rank;
    this.emit({ type: 'metrics', step: this.state.globalStep, epoch, values });
  }

  /** Epochs of the cosine schedule. */
  get plannedEpochs(): number {
    return this.config.epochs;
  }

  /** Epochs the progress bar counts: the training epochs, plus one for a phase after them (candidate ranking). */
  protected get progressEpochs(): number {
    return this.plannedEpochs;
  }

  /** True once the search has trained every epoch it needs. */
  protected finished(): boolean {
    return this.state.epoch >= this.plannedEpochs;
  }

  /** Continue with another batch size from the next data epoch on (SGAS grows the batch after each decision). */
  protected setBatchSize(batchSize: number): void {
    const t = this.trainBatches.state();
    const v = this.valBatches.state();
    this.batcherOptions.train = { ...this.batcherOptions.train, batchSize };
    this.batcherOptions.val = { ...this.batcherOptions.val, batchSize };
    this.trainBatches = new Batcher(this.trainBatches.set, this.batcherOptions.train);
    this.valBatches = new Batcher(this.valBatches.set, this.batcherOptions.val);
    // Start of the next data epoch: a batch cut at another size would skip or repeat images.
    this.trainBatches.seek(t.epoch + (t.position > 0 ? 1 : 0));
    this.valBatches.seek(v.epoch + (v.position > 0 ? 1 : 0));
  }

  restore(path: string): void {
    this.restoreFrom(path);
  }

  protected restoreFrom(path: string): void {
    const { ckpt, state } = loadSearchCheckpoint(path, this.options.runConfig);
    restoreVariables(ckpt, this.checkpointTensors());
    this.adam.loadStateJson(state.adam);
    // restore() validates the saved state against these options and data (seed, size, generator); the batch
    // size is the state's own, which SGAS grows during the search.
    this.batcherOptions.train = { ...this.batcherOptions.train, batchSize: state.train.batchSize };
    this.batcherOptions.val = { ...this.batcherOptions.val, batchSize: state.val.batchSize };
    this.trainBatches = Batcher.restore(this.trainBatches.set, this.batcherOptions.train, state.train);
    this.valBatches = Batcher.restore(this.valBatches.set, this.batcherOptions.val, state.val);
    this.state = state;
    this.lastTrainAcc = state.lastAccuracy?.train ?? 0;
    this.lastValAcc = state.lastAccuracy?.val ?? 0;
    this.collapse.load(state.collapse);
    this.restoreExtra(state.extra);
  }

  lr(epoch = this.state.epoch): number {
    return cosineLr(epoch, this.plannedEpochs, this.config.wLr, this.config.wLrMin);
  }

  /** One search iteration: α step on a val batch, then w step on a train batch. */
  step(): { loss: number; correct: number; count: number } {
    const lr = this.lr();
    const trainBatch = this.trainBatches.next();
    const valBatch = this.valBatches.next();
    return tf.tidy(() => {
      const t = batchTensors(trainBatch);
      const v = batchTensors(valBatch);
      this.architectureStep(t, v, lr);
      const { loss, correct, grads } = lossAndGrads(this.net, t.x, t.y, [...this.weightVars.values()], { recompute: this.config.recompute });
      if (!Number.isFinite(loss)) {
        disposeGrads(grads);
        throw new NonFiniteLossError(loss, this.state.epoch, this.state.globalStep);
      }
      const clipped = clipByGlobalNorm(grads, this.config.gradClip);
      this.sgd.step(clipped.grads, lr);
      disposeGrads(clipped.grads);
      return { loss, correct, count: trainBatch.y.length };
    });
  }

  /**
   * Before each weight step: DARTS steps α on the validation batch; a path-sampling strategy sets the path the
   * weight step trains instead.
   */
  protected architectureStep(t: { x: tf.Tensor4D; y: tf.Tensor1D }, v: { x: tf.Tensor4D; y: tf.Tensor1D }, lr: number): void {
    dartsAlphaStep(this.alphaSetting(), t, v, lr);
  }

  /** The second-order (unrolled) α gradient of one step (ALGORITHMS.md §2; see darts-second-order.ts). */
  secondOrderAlphaGrads(t: { x: tf.Tensor4D; y: tf.Tensor1D }, v: { x: tf.Tensor4D; y: tf.Tensor1D }, xi: number): NamedGrads {
    return unrolledAlphaGrads(this.alphaSetting(), t, v, xi);
  }

  private alphaSetting(): AlphaStepSetting {
    return { net: this.net, weights: [...this.weightVars.values()], alphas: [...this.alphaVars.values()], sgd: this.sgd, adam: this.adam, ...this.config };
  }

  /** The validation set in fixed order, unshuffled: the first `limit` batches (all by default). */
  protected *evalBatches(limit = Infinity) {
    const b = new Batcher(this.valSet, this.evalOptions);
    for (let i = 0; i < Math.min(b.stepsPerEpoch, limit); i++) yield b.batchAt(0, i);
  }

  /** Runs (or continues) the search until the planned epochs are done or `control` interrupts. */
  async run(control: SearchControl): Promise<DartsOutcome> {
    while (!this.finished()) {
      const epoch = this.state.epoch;
      const started = Date.now();
      // The batch (and so the steps per epoch) can change between epochs: SGAS grows it.
      const signal = await runEpochSteps(this.state, () => this.stepsPerEpoch, control, () => this.step(), (r) => {
        this.emit({ type: 'metrics', step: this.state.globalStep, epoch, values: { train_loss: r.loss, train_acc: r.correct / r.count, lr: this.lr() } });
        this.emit({ type: 'progress', epoch, epochs: this.progressEpochs, step: this.state.stepInEpoch, stepsPerEpoch: this.stepsPerEpoch });
      });
      if (signal) {
        if (signal === 'pause') await this.saveCheckpoint();
        return this.outcome(signal === 'pause' ? 'paused' : 'stopped');
      }
      const acc = this.state.epochAcc;
      const val = evaluate(this.net, this.evalBatches(), { chunk: this.config.batchSize });
      this.lastTrainAcc = acc.correct / acc.count;
      this.lastValAcc = val.accuracy;
      this.emit({
        type: 'metrics',
        step: this.state.globalStep,
        epoch,
        values: {
          epoch_train_loss: acc.loss / acc.count,
          epoch_train_acc: this.lastTrainAcc,
          val_loss: val.loss,
          val_acc: val.accuracy,
          epoch_seconds: (Date.now() - started) / 1000,
        },
      });
      const snapshot = this.architectureSnapshot();
      if (snapshot) this.emit({ type: 'snapshot', epoch, ...snapshot });
      this.emit({ type: 'log', level: 'info', message: `epoch ${epoch + 1}/${this.plannedEpochs}: train acc ${(100 * this.lastTrainAcc).toFixed(2)}%, val acc ${(100 * val.accuracy).toFixed(2)}%, val loss ${val.loss.toFixed(4)}` });
      this.state = {
        ...this.state,
        epoch: epoch + 1,
        stepInEpoch: 0,
        epochAcc: { loss: 0, correct: 0, count: 0 },
        lastAccuracy: { train: this.lastTrainAcc, val: this.lastValAcc },
        wallEpoch: this.wallEpoch + 1,
      };
      await this.endOfEpoch(epoch);
      this.emitBenchmark(epoch);
      await this.saveCheckpoint();
    }
    return this.outcome('completed');
  }

  protected outcome(status: DartsOutcome['status']): DartsOutcome {
    return {
      status,
      ops: [...this.net.ops],
      weights: this.architectureWeights(),
      trainAccuracy: this.lastTrainAcc,
      valAccuracy: this.lastValAcc,
      epochsDone: this.state.epoch,
      wallEpochs: this.wallEpoch,
    };
  }

  dispose(): void {
    this.sgd.dispose();
    this.adam.dispose();
    this.net.dispose();
  }
}

export { NonFiniteLossError };
