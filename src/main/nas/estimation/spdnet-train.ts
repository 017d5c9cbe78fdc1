import * as tf from '../engine/tf';
import { applyBnUpdates, type ForwardContext } from '../engine/layers';
import { Rng, hashSeed } from '../engine/rng';
import { spdBiasStep, stiefelStep } from '../engine/spd';
import type { SpdMatrixSet, SpdSplit } from '../data/spd-import-set';
import { correctCount, crossEntropy, runEpochSteps } from '../strategies/one-shot';
import type { SearchControl } from '../strategies/one-shot-types';
import type { SpdNet } from './spdnet';

// Training a stand-alone SPD network from scratch (the evaluation stage of §7.3, the reference's
// train_spd_radar.py): Riemannian SGD at a constant rate — Stiefel steps with QR retraction for BiMap weights,
// the exponential-map step for SPD batch-norm biases, plain SGD for the classifier — on all training matrices,
// then accuracy on the test split after every epoch. The SPDNet baseline and a derived cell train alike, so
// their test accuracies compare. SpdTrainer can stop between any two steps and continue bit for bit (the app's
// pause): each epoch's order comes from a generator derived from (seed, epoch), and the checkpoint holds the
// weights, batch-norm running means and the position in the epoch.

export interface SpdTrainOptions {
  epochs: number;
  batchSize: number;
  /** Constant learning rate (the reference's 0.025 for search; its retrain scripts use the same). */
  lr: number;
  seed: number;
}

export interface SpdEpochReport {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
}

export interface SpdTrainResult {
  label: string;
  params: number;
  epochs: SpdEpochReport[];
  testAccuracy: number;
  seconds: number;
}

function batch(split: SpdSplit, n: number, indices: ArrayLike<number>): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const size = n * n;
  const values = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    values.set(split.matrices.subarray(indices[k] * size, (indices[k] + 1) * size), k * size);
    labels[k] = split.labels[indices[k]];
  }
  return { x: tf.tensor4d(values, [indices.length, 1, n, n]), y: tf.tensor1d(labels, 'int32') };
}

/** Accuracy on a split in eval mode (batch norm by its running means). */
export function spdAccuracy(net: SpdNet, split: SpdSplit, n: number, batchSize: number): number {
  if (split.count === 0) return Number.NaN;
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, split.count - start) }, (_, k) => start + k);
    const { x, y } = batch(split, n, idx);
    const logits = tf.tidy(() => net.forward({ training: false, bnUpdates: null }, x));
    correct += correctCount(logits, y);
    tf.dispose([x, y, logits]);
  }
  return correct / split.count;
}

/** One Riemannian SGD step on every trainable weight, by the manifold it lives on. */
function step(net: SpdNet, grads: Record<string, tf.Tensor>, lr: number): void {
  tf.tidy(() => {
    for (const [name, v] of net.params.trainable) {
      const g = grads[v.name];
      if (!g) continue;
      const manifold = net.manifolds.get(name) ?? 'euclidean';
      if (manifold === 'stiefel') stiefelStep(v, g, lr);
      else if (manifold === 'spd') spdBiasStep(v, g, lr);
      else v.assign(tf.sub(v, tf.mul(g, lr)));
    }
  });
}

/** Where a training stands: saved with the weights in a checkpoint, so a resume continues exactly. */
export interface SpdTrainState {
  version: 1;
  kind: 'spd-train';
  label: string;
  epoch: number;
  stepInEpoch: number;
  globalStep: number;
  epochAcc: { loss: number; correct: number; count: number };
  epochs: SpdEpochReport[];
  /** Training time before this session (a resumed run adds its own). */
  seconds: number;
}

export interface SpdTrainHooks {
  /** After every step, with its loss and accuracy (count 0: a batch of one, skipped). */
  onStep?(r: { loss: number; correct: number; count: number }, state: Readonly<SpdTrainState>): void;
  onEpoch?(r: SpdEpochReport, state: Readonly<SpdTrainState>): void | Promise<void>;
}

const NEVER: SearchControl = { interrupt: () => null };

export class SpdTrainer {
  state: SpdTrainState;
  private readonly vars: tf.Variable[];
  private sessionStarted = Date.now();

  constructor(
    readonly net: SpdNet,
    private readonly set: SpdMatrixSet,
    readonly opts: SpdTrainOptions,
  ) {
    this.vars = [...net.params.trainable.values()];
    this.state = { version: 1, kind: 'spd-train', label: net.label, epoch: 0, stepInEpoch: 0, globalStep: 0, epochAcc: { loss: 0, correct: 0, count: 0 }, epochs: [], seconds: 0 };
  }

  get stepsPerEpoch(): number {
    return Math.ceil(this.set.train.count / this.opts.batchSize);
  }

  /** The epoch's data order: the same whether or not the run was paused in it. */
  private order(epoch: number): Int32Array {
    return Rng.derive(hashSeed(this.opts.seed, 7), epoch).permutation(this.set.train.count);
  }

  /** Weights and batch-norm running means by their stable names (the checkpoint's keys). */
  checkpointTensors(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [k, v] of this.net.params.trainable) out.set(`w/${k}`, v);
    for (const [k, v] of this.net.params.buffers) out.set(`buf/${k}`, v);
    return out;
  }

  /** The state to save; the time trained so far included. */
  snapshot(): SpdTrainState {
    return { ...this.state, seconds: this.seconds() };
  }

  restore(state: SpdTrainState): void {
    if (state?.version !== 1 || state.kind !== 'spd-train') throw new Error('This checkpoint was not written by an SPD retrain, so it cannot continue one.');
    if (state.label !== this.net.label) throw new Error(`This checkpoint trained ${state.label}, not ${this.net.label}.`);
    this.state = structuredClone(state);
    this.sessionStarted = Date.now();
  }

  seconds(): number {
    return this.state.seconds + (Date.now() - this.sessionStarted) / 1000;
  }

  /** One Riemannian SGD step on the next batch of the epoch's order. */
  step(): { loss: number; correct: number; count: number } {
    const { epoch, stepInEpoch } = this.state;
    const order = this.order(epoch);
    const idx = order.subarray(stepInEpoch * this.opts.batchSize, Math.min(order.length, (stepInEpoch + 1) * this.opts.batchSize));
    // Batch norm needs two matrices to take a mean over; a last batch of one is left out of the epoch.
    if (idx.length < 2) return { loss: 0, correct: 0, count: 0 };
    const { x, y } = batch(this.set.train, this.set.size, idx);
    const ctx: ForwardContext = { training: true, bnUpdates: [] };
    let logitsKept: tf.Tensor2D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const logits = this.net.forward(ctx, x);
      logitsKept = tf.keep(logits);
      return crossEntropy(logits, y);
    }, this.vars);
    try {
      const l = value.dataSync()[0];
      if (!Number.isFinite(l)) throw new Error(`${this.net.label}: the training loss became ${l} in epoch ${epoch + 1}. Lower the learning rate (now ${this.opts.lr}).`);
      step(this.net, grads, this.opts.lr);
      applyBnUpdates(ctx.bnUpdates!);
      return { loss: l, correct: correctCount(logitsKept!, y), count: idx.length };
    } finally {
      tf.dispose([x, y, value, logitsKept!, ...Object.values(grads)]);
    }
  }

  /** Trains to the last epoch, testing after each; returns early on a pause or stop between steps. */
  async run(control: SearchControl = NEVER, hooks: SpdTrainHooks = {}): Promise<'completed' | 'pause' | 'stop'> {
    while (this.state.epoch < this.opts.epochs) {
      const signal = await runEpochSteps(this.state, () => this.stepsPerEpoch, control, () => this.step(), (r) => hooks.onStep?.(r, this.state));
      if (signal) return signal;
      const acc = this.state.epochAcc;
      const report = { epoch: this.state.epoch, trainLoss: acc.loss / acc.count, trainAccuracy: acc.correct / acc.count, testAccuracy: spdAccuracy(this.net, this.set.test, this.set.size, this.opts.batchSize) };
      this.state = { ...this.state, epoch: this.state.epoch + 1, stepInEpoch: 0, epochAcc: { loss: 0, correct: 0, count: 0 }, epochs: [...this.state.epochs, report] };
      await hooks.onEpoch?.(report, this.state);
    }
    return 'completed';
  }

  result(): SpdTrainResult {
    return { label: this.net.label, params: this.net.countParams(), epochs: this.state.epochs, testAccuracy: this.state.epochs.at(-1)?.testAccuracy ?? Number.NaN, seconds: this.seconds() };
  }
}

/** Trains `net` from scratch to the end (the CLI's retrain), reporting each epoch. */
export async function trainSpdNet(net: SpdNet, set: SpdMatrixSet, opts: SpdTrainOptions, onEpoch?: (r: SpdEpochReport) => void): Promise<SpdTrainResult> {
  const trainer = new SpdTrainer(net, set, opts);
  await trainer.run(NEVER, { onEpoch: (r) => onEpoch?.(r) });
  return trainer.result();
}

/** Median time of one matrix through the network in eval mode (batch 1, after warm-up), on the backend. */
export async function measureSpdLatency(net: SpdNet, set: SpdMatrixSet, runs = 10): Promise<{ medianMs: number; backend: string }> {
  const split = set.test.count > 0 ? set.test : set.train;
  const { x, y } = batch(split, set.size, [0]);
  const once = async () => {
    const out = tf.tidy(() => net.forward({ training: false, bnUpdates: null }, x));
    await out.data();
    out.dispose();
  };
  try {
    for (let i = 0; i < 2; i++) await once();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await once();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const mid = times.length >> 1;
    return { medianMs: times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2, backend: tf.getBackend() };
  } finally {
    tf.dispose([x, y]);
  }
}
