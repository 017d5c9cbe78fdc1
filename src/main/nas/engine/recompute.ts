import { archWeights } from './arch-weights';
import * as tf from './tf';
import { applyBnUpdates, type ForwardContext, type TrainingBatchNorm } from './layers';
import type { ForwardSegment, Supernet } from './supernet';

// Gradient checkpointing ("recompute") at the training-loop level (shared/ENGINE.md, kernels/README-perf.md).
//
// A plain tfjs backward pass keeps every intermediate of the whole forward alive (the tape's saved tensors):
// for the big NB201 supernet at batch 64 that is more than the 32-bit wasm heap (~4 GB) holds. Here the
// forward runs once WITHOUT a tape, segment by segment (Supernet.segments(): stem, each cell / reduction
// block, head), keeping only each segment's input; BN running-statistic updates are collected in this pass
// only. Then, from the head back to the stem, each segment's forward is recomputed from its saved input under
// a tape and differentiated with the upstream gradient dy as the output seed, giving the gradients of the
// segment's variables, of its inputs (the next dy) and of the architecture-weight matrices W = softmax(α) it
// read. dL/dW is summed over cells and pushed through softmax to α once at the end. Only one segment's
// activations are alive at a time, for one extra forward pass.
//
// No tf.customGrad: the gradients come from tfjs's own engine (`tf.engine().gradients`, what tf.grads and
// tf.variableGrads call), one tape per segment, never nested.

export interface RecomputeResult {
  loss: number;
  correct: number;
  /** Gradients keyed by variable name, for those of `variables` the loss depends on; the caller disposes them. */
  grads: Record<string, tf.Tensor>;
}

export interface RecomputeOptions {
  /** Collect BN running-statistic updates in the forward pass and apply them after the step (default true). */
  updateBnStats?: boolean;
  /** Architecture weights by α key, instead of softmax(α) (then α gets no gradient, as with Supernet.forward). */
  weights?: ReadonlyMap<string, tf.Tensor2D>;
  /** Synchronised BatchNorm (data-parallel); the recomputed forwards synchronise again, in the same order on every replica. */
  bnSync?: TrainingBatchNorm;
}

/** Mean softmax cross-entropy and the number of correct predictions: the loss `one-shot.ts` uses. */
export type LossFn = (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar;

/** tf.engine().gradients with missing gradients allowed (a segment need not use every variable). */
function segmentGradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor): { value: tf.Tensor; grads: Array<tf.Tensor | undefined> } {
  const r = tf.engine().gradients(f, xs, dy, true) as { value: tf.Tensor; grads: Array<tf.Tensor | undefined> };
  // Every gradient must be a tensor of its own: the caller disposes the seed and each gradient separately.
  const seen = new Set<tf.Tensor>();
  const grads = r.grads.map((g) => {
    if (!g) return g;
    const own = g === dy || seen.has(g) ? tf.clone(g) : g;
    seen.add(own);
    return own;
  });
  return { value: r.value, grads };
}

function addInto(map: Map<number, tf.Tensor>, key: number, g: tf.Tensor): void {
  const prev = map.get(key);
  if (!prev) {
    map.set(key, g);
    return;
  }
  map.set(key, tf.add(prev, g));
  prev.dispose();
  g.dispose();
}

/**
 * Loss, correct count and gradients with respect to `variables` (weights and/or α) on one batch, in training
 * mode, with per-segment recomputation. Same contract and same numbers (to float rounding) as
 * `lossAndGrads` in strategies/one-shot.ts; `net.segments` must exist.
 */
export function lossAndGradsRecompute(
  net: Supernet,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  variables: tf.Variable[],
  loss: LossFn,
  countCorrect: (logits: tf.Tensor2D, labels: tf.Tensor1D) => number,
  options: RecomputeOptions = {},
): RecomputeResult {
  if (!net.segments) throw new Error('This supernet has no segments(), so it cannot train with recompute.');
  const segments: readonly ForwardSegment[] = net.segments();
  const n = segments.length;

  // Architecture weights W per α key, as tensors owned here (inputs of every cell segment).
  const W = new Map<string, tf.Tensor2D>();
  const ownedW: tf.Tensor[] = [];
  const softmaxOf = new Map<string, tf.Variable>(); // key → α whose softmax W is (only those need dα)
  const wanted = new Set(variables.map((v) => v.id));
  for (const [key, a] of net.alphas) {
    const given = options.weights?.get(key);
    if (given) W.set(key, given);
    else {
      const w = tf.tidy(() => archWeights(a, net.masks.get(key)));
      W.set(key, w);
      ownedW.push(w);
      if (wanted.has(a.id)) softmaxOf.set(key, a);
    }
  }
  // Only the W whose α gradient is wanted are differentiated (dL/dW is not needed otherwise).
  const wKeys = [...softmaxOf.keys()];
  const wTensors = wKeys.map((k) => W.get(k)!);
  // Plain weights (α are handled through W, so they are not differentiated per segment).
  const alphaIds = new Set([...net.alphas.values()].map((a) => a.id));
  const weightVars = variables.filter((v) => !alphaIds.has(v.id));

  // ---- Pass 1: forward without a tape, keeping each segment's input state and the BN updates.
  const fwdCtx: ForwardContext = { training: true, bnUpdates: options.updateBnStats === false ? null : [], bnSync: options.bnSync };
  const inputs: tf.Tensor[][] = [];
  /** passthrough[k][i] = j when output i of segment k is input j itself, else -1. */
  const passthrough: number[][] = [];
  const refs = new Map<number, number>(); // tensor id → number of saved input states holding it
  let state: tf.Tensor[] = [x];
  let lossValue = 0;
  let correct = 0;
  try {
    for (let k = 0; k < n; k++) {
      inputs.push(state);
      for (const t of new Set(state)) refs.set(t.id, (refs.get(t.id) ?? 0) + 1);
      const input = state;
      const out = tf.tidy(() => segments[k]!.run(fwdCtx, input, W));
      passthrough.push(out.map((t) => input.indexOf(t)));
      state = out;
    }
    const logits = state[0] as tf.Tensor2D;
    correct = countCorrect(logits, y);
    lossValue = tf.tidy(() => loss(logits, y).dataSync()[0]!);
    logits.dispose();
  } catch (e) {
    for (const s of inputs.slice(1)) for (const t of s) if (!t.isDisposed) t.dispose();
    for (const t of ownedW) t.dispose();
    if (fwdCtx.bnUpdates) for (const [, v] of fwdCtx.bnUpdates) v.dispose();
    throw e;
  }

  // ---- Pass 2: backward, segment by segment from the head, recomputing each forward from its saved input.
  const recCtx: ForwardContext = { training: true, bnUpdates: null, bnSync: options.bnSync };
  const grads = new Map<number, tf.Tensor>(); // variable id → gradient
  const dW = new Map<number, tf.Tensor>(); // index in wKeys → dL/dW
  let dState: Array<tf.Tensor | null> = [];
  const release = (s: tf.Tensor[]) => {
    for (const t of new Set(s)) {
      const r = (refs.get(t.id) ?? 1) - 1;
      refs.set(t.id, r);
      if (r === 0 && t !== x) t.dispose();
    }
  };
  try {
    for (let k = n - 1; k >= 0; k--) {
      const seg = segments[k]!;
      const input = inputs[k]!;
      const last = k === n - 1;
      const pass = passthrough[k]!;
      // Outputs that are computed (not passed through) and receive a gradient.
      const computed = last ? [0] : pass.map((j, i) => (j < 0 && dState[i] ? i : -1)).filter((i) => i >= 0);
      // Inputs to differentiate: the distinct input tensors (not x itself: nobody needs dL/dx).
      const inTensors = k === 0 ? [] : [...new Set(input)];
      const xs: tf.Tensor[] = [...inTensors, ...weightVars, ...wTensors];
      const dIn = new Map<number, tf.Tensor>(); // input tensor id → gradient
      if (computed.length > 0 && xs.length > 0) {
        const f = (): tf.Tensor => {
          const out = seg.run(recCtx, input, W);
          if (last) return loss(out[0] as tf.Tensor2D, y);
          if (computed.length === 1) return out[computed[0]!]!;
          // Several computed outputs: one scalar Σ_i sum(out_i · dy_i) has exactly the wanted gradients.
          return tf.addN(computed.map((i) => tf.sum(tf.mul(out[i]!, dState[i]!))));
        };
        const seed = !last && computed.length === 1 ? dState[computed[0]!]! : undefined;
        const { value, grads: g } = segmentGradients(f, xs, seed);
        value.dispose();
        g.forEach((gi, idx) => {
          if (!gi) return;
          if (idx < inTensors.length) dIn.set(inTensors[idx]!.id, gi);
          else if (idx < inTensors.length + weightVars.length) addInto(grads, weightVars[idx - inTensors.length]!.id, gi);
          else addInto(dW, idx - inTensors.length - weightVars.length, gi);
        });
      }
      // Passed-through outputs: their gradient goes straight to the input they are.
      if (!last) {
        pass.forEach((j, i) => {
          const d = dState[i];
          if (j < 0 || !d) return;
          dState[i] = null; // ownership moves to dIn
          if (k > 0) addInto(dIn, input[j]!.id, d);
          else d.dispose();
        });
      }
      for (const d of dState) d?.dispose();
      dState = k === 0 ? [] : input.map((t, j) => {
        const d = dIn.get(t.id);
        if (!d) return null;
        // The same tensor at two positions of the tuple: its whole gradient once, so the next step doesn't double it.
        return input.indexOf(t) === j ? d : null;
      });
      release(input);
    }
    // dL/dα = vjp of archWeights (softmax, masked) at α with dL/dW (summed over every cell that read W).
    for (const [key, a] of softmaxOf) {
      const d = dW.get(wKeys.indexOf(key));
      if (!d) continue;
      const { value, grads: g } = segmentGradients(() => archWeights(a, net.masks.get(key)), [a], d);
      value.dispose();
      if (g[0]) grads.set(a.id, g[0]);
    }
  } catch (e) {
    for (const d of dState) d?.dispose();
    for (const g of grads.values()) g.dispose();
    for (let k = 0; k < n; k++) for (const t of inputs[k]!) if (t !== x && !t.isDisposed) t.dispose();
    if (fwdCtx.bnUpdates) for (const [, v] of fwdCtx.bnUpdates) v.dispose();
    throw e;
  } finally {
    for (const d of dW.values()) d.dispose();
    for (const t of ownedW) t.dispose();
  }
  if (fwdCtx.bnUpdates) applyBnUpdates(fwdCtx.bnUpdates);

  const named: Record<string, tf.Tensor> = {};
  for (const v of variables) {
    const g = grads.get(v.id);
    if (g) named[v.name] = g;
  }
  return { loss: lossValue, correct, grads: named };
}

// ---- When to recompute.

/**
 * Taped-activation estimate above which `auto` recomputes. Measured on wasm (README-perf.md): the heap ends
 * at ~3.4–3.6× this estimate (small@64: 383 MB → 1.3 GB; big@32: 654 MB → 2.35 GB; big@64: 1,308 MB → abort
 * past the 4 GB ceiling), so the limit is ~1.1 GB; 768 MiB leaves room for fragmentation.
 */
export const RECOMPUTE_THRESHOLD_BYTES = 768 * 2 ** 20;

/**
 * Estimated bytes the taped forward pass of one training step keeps alive at `batch`: a forward at batch 2
 * inside one tf.tidy (every intermediate stays alive until the tidy ends, as on a gradient tape), measured with
 * tf.memory(), scaled to `batch`. Cheap (1/32 of a batch-64 forward) and exact for any supernet.
 */
export function estimateActivationBytes(net: Supernet, inputShape: readonly [number, number, number], batch: number): number {
  const probe = 2;
  return tf.tidy(() => {
    const x = tf.zeros([probe, ...inputShape]) as tf.Tensor4D;
    const before = tf.memory().numBytes;
    net.forward({ training: true, bnUpdates: null }, x);
    const bytes = tf.memory().numBytes - before;
    return (bytes / probe) * batch;
  });
}

/**
 * The `auto` choice: recompute when the net supports it, runs on the wasm backend (whose heap is 32-bit) or
 * cpu, and its taped activations at `batch` exceed `threshold` bytes (default 768 MiB).
 */
export function shouldRecompute(
  net: Supernet,
  inputShape: readonly [number, number, number],
  batch: number,
  threshold = RECOMPUTE_THRESHOLD_BYTES,
): boolean {
  if (!net.segments) return false;
  if (tf.getBackend() === 'tensorflow') return false; // native memory: no 4 GB ceiling, recompute only costs time
  return estimateActivationBytes(net, inputShape, batch) > threshold;
}

/**
 * Logits for x without a tape, one segment at a time: only the state passed between segments stays alive, not
 * every intermediate of the whole network, which a single tf.tidy around `net.forward` keeps until it ends. An
 * evaluation batch is larger than the training batch, and the supernet's forward at that batch outgrew the
 * 4 GB wasm heap (DARTS C = 8, 5 cells, 28×28, batch 128) where training with recompute fits. Same numbers as
 * `net.forward`; falls back to it for a net without segments.
 */
export function forwardInSegments(net: Supernet, ctx: ForwardContext, x: tf.Tensor4D, weights?: ReadonlyMap<string, tf.Tensor2D>): tf.Tensor2D {
  if (!net.segments) return net.forward(ctx, x, weights);
  const W = new Map<string, tf.Tensor2D>();
  const owned: tf.Tensor[] = [];
  for (const [key, a] of net.alphas) {
    const given = weights?.get(key);
    if (given) W.set(key, given);
    else {
      const w = tf.tidy(() => archWeights(a, net.masks.get(key)));
      W.set(key, w);
      owned.push(w);
    }
  }
  let state: tf.Tensor[] = [x];
  const release = (ts: readonly tf.Tensor[], keep: readonly tf.Tensor[]) => {
    for (const t of new Set(ts)) if (t !== x && !keep.includes(t) && !t.isDisposed) t.dispose();
  };
  try {
    for (const segment of net.segments()) {
      const input = state;
      const out = tf.tidy(() => segment.run(ctx, input, W));
      release(input, out);
      state = out;
    }
  } catch (e) {
    release(state, []);
    throw e;
  } finally {
    tf.dispose(owned);
  }
  return state[0] as tf.Tensor2D;
}
