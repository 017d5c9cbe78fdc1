import * as tf from '../engine/tf';
import { describeConfigDifferences, type SearchConfig, type StrategyConfigOf } from '../../../shared/config';
import type { Evaluation } from '../../../shared/events';
import { architectureProblem, parseArchitecture, retrainRecipe, type ParsedArchitecture } from '../../../shared/strategies/retrain';
import { Batcher, type BatcherOptions, type BatcherState } from '../data/batcher';
import type { ImageSet, Normalization } from '../data/image-set';
import { loadCheckpoint, restoreVariables, saveCheckpoint } from '../engine/checkpoint';
import { Sgd, clipByGlobalNorm, cosineLr } from '../engine/optim';
import { Rng, hashSeed } from '../engine/rng';
import { batchTensors, correctCount, crossEntropy, disposeGrads, runEpochSteps } from '../strategies/one-shot';
import { NonFiniteLossError, type DartsOutcome, type Emit, type SearchControl } from '../strategies/one-shot-types';
import { measureLatency } from './latency';
import { retrainLossAndGrads } from './retrain-step';
import { exportModel } from './model-export';
import { buildStandaloneNet, type StandaloneNet } from './networks/standalone';
import { applyCutout, retrainBatcherOptions, testBatches } from './retrain-data';

// Retrain (the evaluation stage, ARCHITECTURE §1): one architecture trained from scratch as a stand-alone
// network with the recipe in its options (SGD + cosine, clip, auxiliary head, drop-path, cutout), tested on
// the dataset's test split after every epoch, then measured (parameters, FLOPs, latency) and exported.
// Pause writes a checkpoint mid-epoch; a resume continues bit for bit (weights, BN statistics, momentum, data
// order; drop-path and cutout draw from generators derived from the step).

export interface RetrainContext {
  config: SearchConfig;
  data: { train: ImageSet; test: ImageSet; normalization: Normalization };
  inputShape: [number, number, number];
  emit: Emit;
  checkpointPath(epoch: number, stepInEpoch: number, globalStep: number): string;
  /** Where the trained model is exported. */
  exportDir: string;
}

interface RetrainState {
  version: 1;
  kind: 'retrain';
  epoch: number;
  stepInEpoch: number;
  globalStep: number;
  train: BatcherState;
  epochAcc: { loss: number; correct: number; count: number };
  lastAccuracy: { train: number; test: number };
  runConfig: SearchConfig;
}

type Options = StrategyConfigOf<'retrain'>;

export class RetrainSearch {
  readonly net: StandaloneNet;
  readonly architecture: ParsedArchitecture;
  private readonly options: Options;
  /** Learning rate, weight decay and cutout after the space's recipe filled the unset ones. */
  readonly recipe: ReturnType<typeof retrainRecipe>;
  private readonly vars: Map<string, tf.Variable>;
  private readonly sgd: Sgd;
  private readonly batcherOptions: { train: BatcherOptions; test: BatcherOptions };
  private train: Batcher;
  private state: RetrainState;

  constructor(private readonly ctx: RetrainContext) {
    const { config } = ctx;
    if (config.strategy.name !== 'retrain') throw new Error(`RetrainSearch got a '${config.strategy.name}' config.`);
    this.options = config.strategy;
    const problem = architectureProblem(config.space, this.options.architecture);
    if (problem) throw new Error(problem);
    this.architecture = parseArchitecture(this.options.architecture);
    this.recipe = retrainRecipe(config.space.name, this.options);
    const auxiliary = this.architecture.space === 'darts' && this.options.auxiliary;
    this.net = buildStandaloneNet(config.space, this.architecture, { inputShape: ctx.inputShape, classes: ctx.data.train.classes, auxiliary }, new Rng(hashSeed(config.seed, 1)));
    this.vars = new Map(this.net.params.trainableList().map((v) => [v.name, v]));
    this.sgd = new Sgd(this.vars, this.options.momentum, this.recipe.weightDecay);
    this.batcherOptions = retrainBatcherOptions({ ...config, normalization: ctx.data.normalization, cutout: 0 });
    this.train = new Batcher(ctx.data.train, this.batcherOptions.train);
    this.state = {
      version: 1,
      kind: 'retrain',
      epoch: 0,
      stepInEpoch: 0,
      globalStep: 0,
      train: this.train.state(),
      epochAcc: { loss: 0, correct: 0, count: 0 },
      lastAccuracy: { train: 0, test: 0 },
      runConfig: config,
    };
  }

  get epoch(): number {
    return this.state.epoch;
  }

  get stepsPerEpoch(): number {
    return this.train.stepsPerEpoch;
  }

  lr(epoch = this.state.epoch): number {
    return cosineLr(epoch, this.options.epochs, this.recipe.lr, this.options.lrMin);
  }

  /** DARTS ramps drop-path linearly over the epochs; the NAS-Bench-201 network has none. */
  dropPathProbability(epoch = this.state.epoch): number {
    return this.architecture.space === 'darts' ? (this.options.dropPath * epoch) / this.options.epochs : 0;
  }

  private checkpointTensors(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [k, v] of this.net.params.trainable) out.set(`w/${k}`, v);
    for (const [k, v] of this.net.params.buffers) out.set(`buf/${k}`, v);
    const byVarName = new Map([...this.net.params.trainable].map(([k, v]) => [v.name, k]));
    for (const [k, v] of this.sgd.stateTensors()) out.set(`sgd.momentum/${byVarName.get(k.slice('sgd.momentum/'.length))}`, v);
    return out;
  }

  async saveCheckpoint(): Promise<void> {
    this.state.train = this.train.state();
    const path = this.ctx.checkpointPath(this.state.epoch, this.state.stepInEpoch, this.state.globalStep);
    const info = await saveCheckpoint(path, this.checkpointTensors(), this.state);
    this.ctx.emit({ type: 'checkpoint', epoch: this.state.epoch, ...info });
  }

  restore(path: string): void {
    const ckpt = loadCheckpoint(path);
    const state = ckpt.state as RetrainState;
    if (!state || state.version !== 1 || state.kind !== 'retrain') throw new Error(`Checkpoint ${path} was not written by a retrain, so it cannot continue one.`);
    const differences = describeConfigDifferences(state.runConfig, this.ctx.config);
    if (differences.length) {
      throw new Error(`Checkpoint ${path} belongs to a retrain with other settings: ${differences.join('; ')}. Restart the run, or clone it with the checkpoint's settings.`);
    }
    restoreVariables(ckpt, this.checkpointTensors());
    this.train = Batcher.restore(this.ctx.data.train, this.batcherOptions.train, state.train);
    this.state = state;
  }

  /** One SGD step on the next batch: cross-entropy (+ the auxiliary head's, weighted), clip, momentum. */
  step(): { loss: number; correct: number; count: number } {
    const lr = this.lr();
    const batch = this.train.next();
    if (this.recipe.cutout) applyCutout(batch, this.options.cutoutLength, this.ctx.config.seed);
    const dropPath = { probability: this.dropPathProbability(), seed: this.ctx.config.seed, keys: [23, this.state.globalStep] };
    return tf.tidy(() => {
      const { x, y } = batchTensors(batch);
      const { loss, correct, grads } = retrainLossAndGrads(this.net, x, y, [...this.vars.values()], { dropPath, auxiliaryWeight: this.options.auxiliaryWeight });
      if (!Number.isFinite(loss)) {
        disposeGrads(grads);
        throw new NonFiniteLossError(loss, this.state.epoch, this.state.stepInEpoch);
      }
      const clipped = clipByGlobalNorm(grads, this.options.gradClip);
      this.sgd.step(clipped.grads, lr);
      disposeGrads(clipped.grads);
      return { loss, correct, count: batch.y.length };
    });
  }

  /** Loss and accuracy on the whole test split, in eval mode. */
  test(): { loss: number; accuracy: number } {
    let loss = 0;
    let correct = 0;
    let count = 0;
    for (const batch of testBatches(this.ctx.data.test, this.batcherOptions.test)) {
      tf.tidy(() => {
        const { x, y } = batchTensors(batch);
        const logits = this.net.predict(x);
        loss += crossEntropy(logits, y).dataSync()[0] * batch.y.length;
        correct += correctCount(logits, y);
        count += batch.y.length;
      });
    }
    return { loss: loss / count, accuracy: correct / count };
  }

  async run(control: SearchControl): Promise<DartsOutcome> {
    const emit = this.ctx.emit;
    const epochs = this.options.epochs;
    while (this.state.epoch < epochs) {
      const epoch = this.state.epoch;
      const started = Date.now();
      const signal = await runEpochSteps(this.state, () => this.stepsPerEpoch, control, () => this.step(), (r) => {
        emit({ type: 'metrics', step: this.state.globalStep, epoch, values: { train_loss: r.loss, train_acc: r.correct / r.count, lr: this.lr() } });
        emit({ type: 'progress', epoch, epochs, step: this.state.stepInEpoch, stepsPerEpoch: this.stepsPerEpoch });
      });
      if (signal) {
        if (signal === 'pause') await this.saveCheckpoint();
        return this.outcome(signal === 'pause' ? 'paused' : 'stopped');
      }
      const acc = this.state.epochAcc;
      const test = this.test();
      const trainAcc = acc.correct / acc.count;
      emit({
        type: 'metrics',
        step: this.state.globalStep,
        epoch,
        values: { epoch_train_loss: acc.loss / acc.count, epoch_train_acc: trainAcc, test_loss: test.loss, test_acc: test.accuracy, epoch_seconds: (Date.now() - started) / 1000 },
      });
      emit({ type: 'log', level: 'info', message: `epoch ${epoch + 1}/${epochs}: train acc ${(100 * trainAcc).toFixed(2)}%, test acc ${(100 * test.accuracy).toFixed(2)}%, test loss ${test.loss.toFixed(4)}` });
      this.state = { ...this.state, epoch: epoch + 1, stepInEpoch: 0, epochAcc: { loss: 0, correct: 0, count: 0 }, lastAccuracy: { train: trainAcc, test: test.accuracy } };
      await this.saveCheckpoint();
    }
    return this.outcome('completed');
  }

  private outcome(status: DartsOutcome['status']): DartsOutcome {
    const { train, test } = this.state.lastAccuracy;
    return { status, ops: [], weights: {}, trainAccuracy: train, valAccuracy: test, epochsDone: this.state.epoch, wallEpochs: this.state.epoch };
  }

  /** After training: test accuracy, parameters, FLOPs, measured latency, and the exported model. */
  async evaluation(): Promise<Evaluation> {
    const latency = await measureLatency(this.net);
    const testAccuracy = this.state.lastAccuracy.test;
    const exportDir = await exportModel(this.net, this.ctx.exportDir, {
      architecture: this.options.architecture,
      space: this.ctx.config.space.name,
      classes: this.net.classes,
      inputShape: this.net.inputShape,
      normalization: { mean: [...this.ctx.data.normalization.mean], std: [...this.ctx.data.normalization.std] },
      output: 'logits',
      testAccuracy,
    });
    return { testAccuracy, params: this.net.countParams(), flops: this.net.countMacs(), latencyMs: latency.medianMs, latencyBackend: latency.backend, exportDir };
  }

  dispose(): void {
    this.sgd.dispose();
    this.net.dispose();
  }
}
