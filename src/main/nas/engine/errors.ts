// Plain-language failure triage for training errors (PRODUCT.md: "out of memory → a smaller batch; NaN loss →
// a lower learning rate"). tfjs reports memory exhaustion in backend-specific words (wasm: "Aborted(). Build
// with -sASSERTIONS…"); the user sees which configuration did not fit and one that will, never those words.

import { GpuFaultError } from './webgpu-faults';

export interface TriagedError {
  message: string;
  hint: string | null;
}

const OUT_OF_MEMORY = /out of memory|memory access out of bounds|cannot allocate|allocation failed|got status 6|aborted\(/i;

export function isOutOfMemory(err: unknown): boolean {
  const message = String((err as Error)?.message ?? err);
  return OUT_OF_MEMORY.test(message) || /\bOOM\b/.test(message);
}

/**
 * Memory model of one training step (recompute.ts, README-perf.md): the heap peaks at about this many times
 * the taped-activation estimate (measured 3.4–3.6× on wasm: small@64 383 MB → 1.3 GB, big@32 654 MB → 2.35 GB).
 */
export const PEAK_PER_ACTIVATION_BYTE = 3.6;
/** Share of the memory limit a suggested configuration may plan to use: fragmentation and the dataset need the rest. */
export const PLANNED_SHARE = 0.75;
/** The wasm heap is 32-bit addressed. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

export interface TrainingShape {
  batchSize: number;
  channels: number;
  cells: number;
  backend?: string;
}

/** What the trainer measured after the failure, for the estimate; absent when it could not measure. */
export interface MemoryFacts {
  /** estimateActivationBytes(net, inputShape, 1) of the supernet that failed. */
  activationBytesPerImage: number;
  /** The memory the backend may use (4 GB for wasm). */
  limitBytes: number;
}

export interface MemoryAdvice {
  /** Estimated peak of the configuration that failed. */
  failedPeakBytes: number;
  /** A configuration estimated to fit, and its estimated peak; null when even batch 2 with C = 2 would not. */
  fits: { batchSize: number; channels: number; peakBytes: number } | null;
}

/**
 * A configuration that fits, from the memory model: activations grow linearly with the batch and with C.
 * The model is calibrated by the failure itself: if it claims the failed configuration fits, the real factor
 * is at least limit / activations, and that one is used instead. Prefers keeping C and lowering the batch
 * (to a multiple of 8 where that is possible); lowers C only when batch 2 does not fit.
 */
export function adviseMemory(shape: TrainingShape, facts: MemoryFacts): MemoryAdvice {
  const perImage = facts.activationBytesPerImage;
  const factor = Math.max(PEAK_PER_ACTIVATION_BYTE, facts.limitBytes / (perImage * shape.batchSize));
  const peak = (batch: number, channels: number) => factor * perImage * batch * (channels / shape.channels);
  const budget = facts.limitBytes * PLANNED_SHARE;
  const failedPeakBytes = peak(shape.batchSize, shape.channels);
  const maxBatch = Math.min(shape.batchSize - 1, Math.floor(budget / peak(1, shape.channels)));
  if (maxBatch >= 2) {
    const batchSize = maxBatch >= 8 ? maxBatch - (maxBatch % 8) : maxBatch;
    return { failedPeakBytes, fits: { batchSize, channels: shape.channels, peakBytes: peak(batchSize, shape.channels) } };
  }
  const batchSize = Math.max(2, Math.min(shape.batchSize, 8));
  const channels = Math.min(shape.channels - 1, Math.floor((budget / peak(batchSize, shape.channels)) * shape.channels));
  if (channels < 2) return { failedPeakBytes, fits: null };
  return { failedPeakBytes, fits: { batchSize, channels, peakBytes: peak(batchSize, channels) } };
}

export function triageTrainingError(err: unknown, context: TrainingShape & { memory?: MemoryFacts | null }): TriagedError {
  const e = err as Error & { hint?: string };
  // A GPU fault already says what happened and where to resume from; the driver's own words ("Out of memory",
  // "Allocation failed") must not turn it into the WebAssembly heap advice.
  if (e instanceof GpuFaultError) return { message: e.message, hint: e.hint };
  if (isOutOfMemory(e)) return outOfMemory(context);
  return { message: e?.message ?? String(err), hint: e?.hint ?? null };
}

function outOfMemory(c: TrainingShape & { memory?: MemoryFacts | null }): TriagedError {
  const config = `batch ${c.batchSize}, C = ${c.channels}, ${c.cells} cell${c.cells === 1 ? '' : 's'}${c.backend ? ` on the ${c.backend} backend` : ''}`;
  const where = c.backend === 'wasm' ? 'the WebAssembly backend’s memory (4 GB at most)' : 'the memory available to training';
  const native = c.backend === 'tensorflow' ? '' : ' A native TensorFlow backend has no 4 GB limit.';
  if (!c.memory) {
    return {
      message: `Out of memory: the supernet with ${config} does not fit in ${where}.`,
      hint: `Start a new run (clone this one) with a smaller batch size or channel count C; memory use grows with both.${native}`,
    };
  }
  const advice = adviseMemory(c, c.memory);
  const message = `Out of memory: the supernet with ${config} does not fit in ${where} (about ${gb(advice.failedPeakBytes)} needed, estimated).`;
  if (!advice.fits) {
    return { message, hint: `Even batch 2 with C = 2 is estimated not to fit: use fewer cells or a smaller search space.${native}` };
  }
  const f = advice.fits;
  const change = f.channels === c.channels ? `batch ${f.batchSize} (C = ${f.channels})` : `batch ${f.batchSize} with C = ${f.channels}`;
  return {
    message,
    hint: `Start a new run (clone this one) with ${change}, estimated at ${gb(f.peakBytes)}, which fits.${native}`,
  };
}

function gb(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : `${Math.round(bytes / 2 ** 20)} MB`;
}
