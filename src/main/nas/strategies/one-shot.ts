import * as tf from '../engine/tf';
import { applyBnUpdates, type ForwardContext, type TrainingBatchNorm } from '../engine/layers';
import type { Supernet } from '../engine/supernet';
import { forwardInSegments, lossAndGradsRecompute } from '../engine/recompute';
import type { Batch } from '../data/batcher';
import { poolOf } from '../parallel/pool-seam';

// Building blocks every one-shot (weight-sharing) strategy uses: tensors from batches, the loss, gradient
// steps that keep BatchNorm's running statistics outside the gradient scope, and evaluation.

export function batchTensors(b: Batch): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return { x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, 'int32') };
}

/** tfjs-backend-wasm's OneHot ignores the dtype argument (it writes int32 bits), so cast explicitly. */
function oneHotFloat(labels: tf.Tensor1D, classes: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D;
}

/** Mean softmax cross-entropy. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const classes = logits.shape[1];
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHotFloat(labels, classes), tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): number {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')).dataSync()[0]);
}

export interface GradResult {
  loss: number;
  correct: number;
  /** Gradients keyed by variable name; the caller disposes them. */
  grads: Record<string, tf.Tensor>;
}

export interface LossAndGradsOptions {
  updateBnStats?: boolean;
  weights?: ReadonlyMap<string, tf.Tensor2D>;
  /**
   * Gradient checkpointing (engine/recompute.ts): keep only each segment's input during the forward and
   * recompute segment by segment in the backward. Same results, one extra forward, a fraction of the memory.
   */
  recompute?: boolean;
  /** Data-parallel training: BatchNorm over every replica's shard (engine/parallel/sync-bn.ts). */
  bnSync?: TrainingBatchNorm;
}

/**
 * Loss and gradients with respect to `variables` on one batch, in training mode (BN uses batch statistics
 * and its running averages are updated afterwards, as a PyTorch forward in train() mode does). Every one-shot
 * strategy computes its gradients here; when a gradient pool is attached to `net` (parallel/gradient-pool.ts)
 * the batch is split across its threads and the result is the same, up to float rounding.
 */
export function lossAndGrads(net: Supernet, x: tf.Tensor4D, y: tf.Tensor1D, variables: tf.Variable[], options: LossAndGradsOptions = {}): GradResult {
  const pool = poolOf(net);
  return pool ? pool.lossAndGrads(net, x, y, variables, options) : singleThreadLossAndGrads(net, x, y, variables, options);
}

/** `lossAndGrads` on this thread alone, whatever pool the net has: the reference, and each thread's share. */
export function singleThreadLossAndGrads(net: Supernet, x: tf.Tensor4D, y: tf.Tensor1D, variables: tf.Variable[], options: LossAndGradsOptions = {}): GradResult {
  if (options.recompute) return lossAndGradsRecompute(net, x, y, variables, crossEntropy, correctCount, options);
  const ctx: ForwardContext = { training: true, bnUpdates: options.updateBnStats === false ? null : [], bnSync: options.bnSync };
  return tapedLossAndGrads(ctx, y, variables, () => {
    const logits = net.forward(ctx, x, options.weights);
    return { logits, loss: crossEntropy(logits, y) };
  });
}

/**
 * One taped training step of any network: `forward` (run under the tape, in training mode through `ctx`)
 * returns the logits and the loss; the result carries the loss, the correct count of the logits and the
 * gradients, and BN running statistics collected in `ctx` are applied after the tape.
 */
export function tapedLossAndGrads(
  ctx: ForwardContext,
  y: tf.Tensor1D,
  variables: tf.Variable[],
  forward: () => { logits: tf.Tensor2D; loss: tf.Scalar },
): GradResult {
  let logits: tf.Tensor2D | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const out = forward();
    logits = tf.keep(out.logits);
    return out.loss;
  }, variables);
  // Counted outside the tape: ops recorded there but off the loss path break tfjs's backward pass.
  const correct = correctCount(logits!, y);
  (logits as tf.Tensor2D | null)?.dispose();
  const loss = value.dataSync()[0]!;
  value.dispose();
  if (ctx.bnUpdates) applyBnUpdates(ctx.bnUpdates);
  return { loss, correct, grads };
}

export function disposeGrads(grads: Record<string, tf.Tensor>): void {
  for (const g of Object.values(grads)) g.dispose();
}

/**
 * Loss and accuracy over every batch of `batches`, in eval mode (BN running statistics), or with
 * `batchStatistics` normalising by each batch's own statistics (the running averages stay untouched).
 * In eval mode each batch is computed `chunk` images at a time (every image is normalised alone there, so the
 * numbers do not change): evaluation batches are larger than training batches, and a supernet's forward at
 * that size can outgrow the memory its training batch fits in. The forward runs segment by segment for the
 * same reason (engine/recompute.ts forwardInSegments).
 */
export function evaluate(
  net: Supernet,
  batches: Iterable<Batch>,
  options: { batchStatistics?: boolean; chunk?: number } = {},
): { loss: number; accuracy: number; count: number } {
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  const batchStatistics = options.batchStatistics === true;
  const ctx: ForwardContext = { training: batchStatistics, bnUpdates: null };
  for (const b of batches) {
    const n = b.y.length;
    const chunk = batchStatistics ? n : Math.max(1, Math.min(options.chunk ?? n, n));
    const { x: whole, y: labels } = batchTensors(b);
    try {
      for (let start = 0; start < n; start += chunk) {
        const size = Math.min(chunk, n - start);
        tf.tidy(() => {
          const x = size === n ? whole : tf.slice(whole, [start, 0, 0, 0], [size, -1, -1, -1]);
          const y = size === n ? labels : tf.slice(labels, [start], [size]);
          const logits = forwardInSegments(net, ctx, x);
          lossSum += crossEntropy(logits, y).dataSync()[0] * size;
          correct += correctCount(logits, y);
          count += size;
        });
      }
    } finally {
      tf.dispose([whole, labels]);
    }
  }
  return { loss: lossSum / Math.max(count, 1), accuracy: correct / Math.max(count, 1), count };
}

/** softmax(α) per cell type as plain arrays (snapshots, discretisation). */
export function alphaWeights(net: Supernet): Record<string, number[][]> {
  const out: Record<string, number[][]> = {};
  for (const [key, a] of net.alphas) out[key] = tf.tidy(() => tf.softmax(a).arraySync() as number[][]);
  return out;
}

/** Where a training loop stands inside an epoch, and what it has summed so far (checkpointed as is). */
export interface EpochCursor {
  stepInEpoch: number;
  globalStep: number;
  epochAcc: { loss: number; correct: number; count: number };
}

/**
 * The rest of an epoch's steps, from `cursor.stepInEpoch` (a resume starts mid-epoch): polls `control`
 * before each step and returns its signal, or null once the epoch is done. `stepsPerEpoch` is read each
 * time (SGAS grows the batch between epochs); `after` reports each step (metrics, progress).
 */
export async function runEpochSteps(
  cursor: EpochCursor,
  stepsPerEpoch: () => number,
  control: { interrupt(): 'pause' | 'stop' | null },
  step: () => { loss: number; correct: number; count: number },
  after: (r: { loss: number; correct: number; count: number }) => void,
): Promise<'pause' | 'stop' | null> {
  while (cursor.stepInEpoch < stepsPerEpoch()) {
    const signal = control.interrupt();
    if (signal) return signal;
    const r = step();
    cursor.epochAcc.loss += r.loss * r.count;
    cursor.epochAcc.correct += r.correct;
    cursor.epochAcc.count += r.count;
    cursor.stepInEpoch += 1;
    cursor.globalStep += 1;
    after(r);
    await new Promise<void>((resolve) => setImmediate(resolve)); // let control messages in
  }
  return null;
}
