import * as tf from '../engine/tf';
import type { SearchConfig, StrategyConfigOf } from '../../../shared/config';
import { SPDNAS_HEALTH_METRICS } from '../../../shared/strategies/spdnas';
import { SpdBatcher, type SpdBatch, type SpdBatcherState } from '../data/spd-batcher';
import { splitSpdTrainVal } from '../data/spd-sets';
import type { SpdSplit } from '../data/spd-import-set';
import { restoreVariables, saveCheckpoint } from '../engine/checkpoint';
import { Adam, Sgd, clipByGlobalNorm, cosineLr, type NamedGrads } from '../engine/optim';
import { hashSeed } from '../engine/rng';
import { sparsemaxRows, spdBiasStep, stiefelStep } from '../engine/spd';
import type { SpdSupernet } from '../spaces/spd';
import { dartsAlphaStep } from './darts-alpha-step';
import { correctCount, crossEntropy, disposeGrads, lossAndGrads, runEpochSteps, type EpochCursor } from './one-shot';
import { loadSearchCheckpoint, searchCheckpointTensors } from './one-shot-state';
import { NonFiniteLossError, type DartsOutcome, type Emit, type SearchControl } from './one-shot-types';

// SPDNetNAS's bilevel search (ALGORITHMS.md §7): per minibatch an α step on a validation batch (first order,
// or second order through DARTS's unrolled step), then a weight step on a training batch where each weight
// moves on its own manifold: BiMap weights by the Stiefel QR retraction, batch-norm biases by the SPD
// exponential map, the classifier (and WeightedPooling logits) by SGD with momentum. α mixes ops through
// sparsemax, so snapshots and the genotype read sparsemax(α).

type Options = StrategyConfigOf<'spdnas'>;

export interface SpdnasContext {
  config: SearchConfig;
  options: Options;
  net: SpdSupernet;
  /** The training split of the SPD set (cut 50/50 here into the weights' and α's parts) and the matrix size. */
  train: SpdSplit;
  size: number;
  emit: Emit;
  checkpointPath(epoch: number, stepInEpoch: number, globalStep: number): string;
}

interface SpdnasState extends EpochCursor {
  version: 1;
  epoch: number;
  train: SpdBatcherState;
  val: SpdBatcherState;
  adam: Record<string, number>;
  lastAccuracy?: { train: number; val: number };
  runConfig?: SearchConfig;
}

type Tensors = { x: tf.Tensor4D; y: tf.Tensor1D };
const tensors = (b: SpdBatch): Tensors => ({ x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, 'int32') });

export class SpdnasSearch {
  private readonly sgd: Sgd;
  private readonly adam: Adam;
  private readonly weights: tf.Variable[];
  /** Variable name → manifold, for the weight step. */
  private readonly manifoldOf = new Map<string, 'stiefel' | 'spd' | 'euclidean'>();
  private readonly trainBatches: SpdBatcher;
  private readonly valBatches: SpdBatcher;
  private readonly valSplit: SpdSplit;
  private state: SpdnasState;
  private lastTrainAcc = 0;
  private lastValAcc = 0;

  constructor(private readonly ctx: SpdnasContext) {
    const { net, options, config } = ctx;
    for (const [name, v] of net.params.trainable) this.manifoldOf.set(v.name, net.manifolds.get(name) ?? 'euclidean');
    this.weights = net.params.trainableList();
    const euclidean = new Map(this.weights.filter((v) => this.manifoldOf.get(v.name) === 'euclidean').map((v) => [v.name, v]));
    this.sgd = new Sgd(euclidean, options.momentum, options.wWeightDecay);
    this.adam = new Adam(new Map([...net.alphas.values()].map((v) => [v.name, v])), options.alphaBeta1, options.alphaBeta2, options.alphaWeightDecay);
    const split = splitSpdTrainVal(ctx.train, ctx.size, config.trainPortion, hashSeed(config.seed, 11));
    this.trainBatches = new SpdBatcher(split.train, ctx.size, config.batchSize, hashSeed(config.seed, 12));
    this.valBatches = new SpdBatcher(split.val, ctx.size, config.batchSize, hashSeed(config.seed, 13));
    this.valSplit = split.val;
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

  get epoch(): number {
    return this.state.epoch;
  }

  private get options(): Options {
    return this.ctx.options;
  }

  lr(): number {
    const o = this.options;
    return o.lrSchedule === 'cosine' ? cosineLr(this.state.epoch, o.epochs, o.wLr, o.wLrMin) : o.wLr;
  }

  private checkpointTensors(): Map<string, tf.Variable> {
    return searchCheckpointTensors(this.ctx.net, this.sgd, this.adam);
  }

  private async saveCheckpoint(): Promise<void> {
    this.state.train = this.trainBatches.state();
    this.state.val = this.valBatches.state();
    this.state.adam = this.adam.stateJson();
    this.state.runConfig = this.ctx.config;
    const path = this.ctx.checkpointPath(this.state.epoch, this.state.stepInEpoch, this.state.globalStep);
    const info = await saveCheckpoint(path, this.checkpointTensors(), this.state);
    this.ctx.emit({ type: 'checkpoint', epoch: this.state.epoch, ...info });
  }

  restore(path: string): void {
    const { ckpt, state } = loadSearchCheckpoint(path, this.ctx.config);
    const s = state as unknown as SpdnasState;
    restoreVariables(ckpt, this.checkpointTensors());
    this.adam.loadStateJson(s.adam);
    this.trainBatches.restore(s.train);
    this.valBatches.restore(s.val);
    this.state = s;
    this.lastTrainAcc = s.lastAccuracy?.train ?? 0;
    this.lastValAcc = s.lastAccuracy?.val ?? 0;
  }

  /** One search iteration: α step on a validation batch, then the Riemannian weight step on a training batch. */
  step(): { loss: number; correct: number; count: number } {
    const lr = this.lr();
    const trainBatch = this.trainBatches.next();
    const valBatch = this.valBatches.next();
    const o = this.options;
    return tf.tidy(() => {
      const t = tensors(trainBatch);
      const v = tensors(valBatch);
      const alphas = [...this.ctx.net.alphas.values()];
      dartsAlphaStep({ net: this.ctx.net, weights: this.weights, alphas, sgd: this.sgd, adam: this.adam, momentum: o.momentum, wWeightDecay: o.wWeightDecay, order: o.order, alphaLr: o.alphaLr }, t, v, lr);
      const { loss, correct, grads } = lossAndGrads(this.ctx.net, t.x, t.y, this.weights);
      if (!Number.isFinite(loss)) {
        disposeGrads(grads);
        throw new NonFiniteLossError(loss, this.state.epoch, this.state.globalStep);
      }
      const clipped = clipByGlobalNorm(grads, o.gradClip);
      this.weightStep(clipped.grads, lr);
      disposeGrads(clipped.grads);
      return { loss, correct, count: trainBatch.y.length };
    });
  }

  private weightStep(grads: NamedGrads, lr: number): void {
    const euclidean: NamedGrads = {};
    for (const w of this.weights) {
      const g = grads[w.name];
      if (!g) continue;
      const manifold = this.manifoldOf.get(w.name);
      if (manifold === 'stiefel') tf.tidy(() => stiefelStep(w, g, lr));
      else if (manifold === 'spd') tf.tidy(() => spdBiasStep(w, g, lr));
      else euclidean[w.name] = g;
    }
    this.sgd.step(euclidean, lr);
  }

  /** Loss and accuracy on the whole validation part, in eval mode (batch norm by its running means). */
  private evaluate(): { loss: number; accuracy: number } {
    const batcher = new SpdBatcher(this.valSplit, this.ctx.size, Math.max(this.ctx.config.batchSize, 128), 0, false);
    let lossSum = 0;
    let correct = 0;
    for (let i = 0; i < batcher.stepsPerEpoch; i++) {
      tf.tidy(() => {
        const { x, y } = tensors(batcher.batchAt(0, i));
        const logits = this.ctx.net.forward({ training: false, bnUpdates: null }, x);
        lossSum += crossEntropy(logits, y).dataSync()[0] * y.shape[0];
        correct += correctCount(logits, y);
      });
    }
    return { loss: lossSum / this.valSplit.count, accuracy: correct / this.valSplit.count };
  }

  /** The health metrics on (a slice of) the last validation batch. */
  private emitHealth(epoch: number): void {
    const batch = this.valBatches.lastBatch();
    const take = Math.min(batch.y.length, 16);
    const m = batch.shape[2] * batch.shape[3];
    const h = tf.tidy(() => this.ctx.net.health(tf.tensor4d(batch.x.subarray(0, take * m), [take, 1, batch.shape[2], batch.shape[3]])));
    this.ctx.emit({
      type: 'metrics',
      step: this.state.globalStep,
      epoch,
      values: { [SPDNAS_HEALTH_METRICS.karcherResidual]: h.karcherResidual, [SPDNAS_HEALTH_METRICS.eigMin]: h.eigMin, [SPDNAS_HEALTH_METRICS.eigMax]: h.eigMax },
    });
  }

  /** sparsemax(α) per cell type. */
  private architectureWeights(): Record<string, number[][]> {
    const out: Record<string, number[][]> = {};
    for (const [key, a] of this.ctx.net.alphas) out[key] = sparsemaxRows(a.arraySync() as number[][]);
    return out;
  }

  async run(control: SearchControl): Promise<DartsOutcome> {
    const emit = this.ctx.emit;
    while (this.state.epoch < this.options.epochs) {
      const epoch = this.state.epoch;
      const started = Date.now();
      const signal = await runEpochSteps(this.state, () => this.trainBatches.stepsPerEpoch, control, () => this.step(), (r) => {
        emit({ type: 'metrics', step: this.state.globalStep, epoch, values: { train_loss: r.loss, train_acc: r.correct / r.count, lr: this.lr() } });
        emit({ type: 'progress', epoch, epochs: this.options.epochs, step: this.state.stepInEpoch, stepsPerEpoch: this.trainBatches.stepsPerEpoch });
        if (this.state.globalStep % this.options.healthEvery === 0) this.emitHealth(epoch);
      });
      if (signal) {
        if (signal === 'pause') await this.saveCheckpoint();
        return this.outcome(signal === 'pause' ? 'paused' : 'stopped');
      }
      const acc = this.state.epochAcc;
      const val = this.evaluate();
      this.lastTrainAcc = acc.correct / acc.count;
      this.lastValAcc = val.accuracy;
      emit({
        type: 'metrics',
        step: this.state.globalStep,
        epoch,
        values: { epoch_train_loss: acc.loss / acc.count, epoch_train_acc: this.lastTrainAcc, val_loss: val.loss, val_acc: val.accuracy, epoch_seconds: (Date.now() - started) / 1000 },
      });
      this.emitHealth(epoch);
      emit({ type: 'snapshot', epoch, kind: 'alpha', payload: { ops: [...this.ctx.net.ops], cells: this.architectureWeights(), edgeOps: this.ctx.net.edgeOps } });
      emit({ type: 'log', level: 'info', message: `epoch ${epoch + 1}/${this.options.epochs}: train acc ${(100 * this.lastTrainAcc).toFixed(2)}%, val acc ${(100 * val.accuracy).toFixed(2)}%, val loss ${val.loss.toFixed(4)}` });
      this.state = { ...this.state, epoch: epoch + 1, stepInEpoch: 0, epochAcc: { loss: 0, correct: 0, count: 0 }, lastAccuracy: { train: this.lastTrainAcc, val: this.lastValAcc } };
      await this.saveCheckpoint();
    }
    return this.outcome('completed');
  }

  private outcome(status: DartsOutcome['status']): DartsOutcome {
    return {
      status,
      ops: [...this.ctx.net.ops],
      weights: this.architectureWeights(),
      trainAccuracy: this.lastTrainAcc,
      valAccuracy: this.lastValAcc,
      epochsDone: this.state.epoch,
      wallEpochs: this.state.epoch,
    };
  }

  dispose(): void {
    this.sgd.dispose();
    this.adam.dispose();
    this.ctx.net.dispose();
  }
}
