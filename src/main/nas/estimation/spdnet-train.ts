import * as tf from '../engine/tf';
import { applyBnUpdates, type ForwardContext } from '../engine/layers';
import { Rng, hashSeed } from '../engine/rng';
import { spdBiasStep, stiefelStep } from '../engine/spd';
import type { SpdMatrixSet, SpdSplit } from '../data/spd-import-set';
import { correctCount, crossEntropy } from '../strategies/one-shot';
import type { SpdNet } from './spdnet';

// Training a stand-alone SPD network from scratch (the evaluation stage of §7.3, the reference's
// train_spd_radar.py): Riemannian SGD at a constant rate — Stiefel steps with QR retraction for BiMap weights,
// the exponential-map step for SPD batch-norm biases, plain SGD for the classifier — on all training matrices,
// then accuracy on the test split after every epoch. The SPDNet baseline and a derived cell train alike, so
// their test accuracies compare.

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

export async function trainSpdNet(net: SpdNet, set: SpdMatrixSet, opts: SpdTrainOptions, onEpoch?: (r: SpdEpochReport) => void): Promise<SpdTrainResult> {
  const started = Date.now();
  const n = set.size;
  const rng = new Rng(hashSeed(opts.seed, 7));
  const vars = [...net.params.trainable.values()];
  const reports: SpdEpochReport[] = [];
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = rng.permutation(set.train.count);
    let loss = 0;
    let correct = 0;
    for (let start = 0; start < order.length; start += opts.batchSize) {
      const idx = order.subarray(start, Math.min(order.length, start + opts.batchSize));
      // Batch norm needs two matrices to take a mean over; a last batch of one joins the next epoch.
      if (idx.length < 2) continue;
      const { x, y } = batch(set.train, n, idx);
      const ctx: ForwardContext = { training: true, bnUpdates: [] };
      let logitsKept: tf.Tensor2D | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const logits = net.forward(ctx, x);
        logitsKept = tf.keep(logits);
        return crossEntropy(logits, y);
      }, vars);
      const l = value.dataSync()[0];
      if (!Number.isFinite(l)) {
        tf.dispose([x, y, value, logitsKept!, ...Object.values(grads)]);
        throw new Error(`${net.label}: the training loss became ${l} in epoch ${epoch + 1}. Lower the learning rate (now ${opts.lr}).`);
      }
      step(net, grads, opts.lr);
      applyBnUpdates(ctx.bnUpdates!);
      loss += l * idx.length;
      correct += correctCount(logitsKept!, y);
      tf.dispose([x, y, value, logitsKept!, ...Object.values(grads)]);
      // Let a CLI's progress output and a server's other requests through between steps.
      await new Promise((r) => setImmediate(r));
    }
    const seen = order.length - (order.length % opts.batchSize === 1 ? 1 : 0);
    const report = { epoch, trainLoss: loss / seen, trainAccuracy: correct / seen, testAccuracy: spdAccuracy(net, set.test, n, opts.batchSize) };
    reports.push(report);
    onEpoch?.(report);
  }
  return { label: net.label, params: net.countParams(), epochs: reports, testAccuracy: reports.at(-1)?.testAccuracy ?? Number.NaN, seconds: (Date.now() - started) / 1000 };
}
