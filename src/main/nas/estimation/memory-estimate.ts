import { PEAK_PER_ACTIVATION_BYTE, PLANNED_SHARE } from '../engine/errors';
import { RECOMPUTE_THRESHOLD_BYTES } from '../engine/recompute';
import { shardBatch } from '../engine/parallel/shard';

// The New-run pre-flight's memory estimate: the trainer's out-of-memory model (engine/errors.ts: the heap
// peaks at PEAK_PER_ACTIVATION_BYTE × the taped activations; a run may plan on PLANNED_SHARE of the limit)
// applied BEFORE a run starts, plus the weights' own state. A supernet too big to build (C = 256, N = 30 has
// billions of weights) is never built: it is measured at a small C and one and two cells, and extrapolated.
// With N training threads every replica holds its own weights, gradients and optimiser state and the
// activations of its shard of the batch, in its own heap (wasm: 4 GB each): "fits" is decided per thread on
// the largest shard, and the process holds the sum.

/** One measured build: activations per image of a training forward, weight count, forward segments. */
export interface ShapeMeasure {
  channels: number;
  cells: number;
  activationBytesPerImage: number;
  params: number;
  segments: number;
}

export interface SupernetSize {
  activationBytesPerImage: number;
  params: number;
  segments: number;
}

/** Float32 copies of every weight held while training: the weights, their gradients and the optimiser's two moments. */
export const WEIGHT_COPIES = 4;

/**
 * The size at `channels`, `cells` from two builds at channels c0 with fewer cells: linear in the cell count
 * (every part of a supernet is either per cell or fixed), and scaled by C for activations and C² for weights
 * (convolutions dominate both), which overestimates slightly when C > c0.
 */
export function extrapolateSize(one: ShapeMeasure, two: ShapeMeasure, target: { channels: number; cells: number }): SupernetSize {
  const span = two.cells - one.cells;
  const n = target.cells - one.cells;
  const at = (a: number, b: number) => (span === 0 ? a : Math.max(a, a + ((b - a) / span) * n));
  const c = target.channels / one.channels;
  return {
    activationBytesPerImage: at(one.activationBytesPerImage, two.activationBytesPerImage) * c,
    params: at(one.params, two.params) * c * c,
    segments: Math.round(at(one.segments, two.segments)),
  };
}

export interface MemoryEstimate {
  /** Estimated peak of one training step at the run's batch, in one thread's heap (the largest shard's replica). */
  estimateBytes: number;
  /** The whole process: every replica's peak together (= estimateBytes on one thread). */
  totalBytes: number;
  /** Training threads the estimate is for (replicas, each with its own heap). */
  threads: number;
  /** What the backend gives one thread's heap; null when unknown (then `fits` is null too). */
  limitBytes: number | null;
  fits: boolean | null;
  /** The largest batch estimated to fit at this C and N and thread count (a multiple of 8 where possible); 0 when none does; null when the limit is unknown. */
  largestBatchThatFits: number | null;
  /** Whether memory saving (gradient checkpointing) is planned for this run. */
  recompute: boolean;
  /** Memory the weights and their optimiser state need whatever the batch. */
  weightBytes: number;
}

/**
 * With recompute only one segment's tape is alive at a time, plus each segment's saved input: about two
 * segments' worth of the taped activations (measured: the big supernet, 10 segments, peaks at ~0.23 of its
 * full-tape peak).
 */
function tapedShare(recompute: boolean, segments: number): number {
  return recompute ? Math.min(1, 2 / Math.max(1, segments)) : 1;
}

export interface RunShape {
  batchSize: number;
  recompute: 'auto' | 'on' | 'off';
  nativeMemory: boolean;
  /** Training threads (data-parallel replicas); 1 when absent. More threads than images train on one image each. */
  threads?: number;
}

export function estimateMemory(size: SupernetSize, run: RunShape, limitBytes: number | null): MemoryEstimate {
  const weightBytes = WEIGHT_COPIES * 4 * size.params;
  const threads = Math.max(1, Math.min(run.threads ?? 1, run.batchSize));
  // The trainer's rule (recompute.ts shouldRecompute), applied to each replica's own shard: auto turns it on
  // above the threshold, never on native TensorFlow.
  const recomputeAt = (batch: number) =>
    run.recompute === 'on' || (run.recompute === 'auto' && !run.nativeMemory && size.activationBytesPerImage * batch > RECOMPUTE_THRESHOLD_BYTES);
  const peak = (batch: number) => weightBytes + PEAK_PER_ACTIVATION_BYTE * size.activationBytesPerImage * batch * tapedShare(recomputeAt(batch), size.segments);
  const shards = shardBatch(run.batchSize, threads).map((s) => s.size);
  const largestShard = shards[0]!;
  const estimateBytes = peak(largestShard);
  const totalBytes = shards.reduce((sum, b) => sum + peak(b), 0);
  const recompute = recomputeAt(largestShard);
  const base = { estimateBytes, totalBytes, threads, limitBytes, recompute, weightBytes };
  if (limitBytes === null) return { ...base, fits: null, largestBatchThatFits: null };
  const budget = limitBytes * PLANNED_SHARE;
  const fits = estimateBytes <= budget;
  // Linear in the shard within each regime (without, then with recompute under 'auto'): the largest shard of
  // each; N shards of that size are the largest batch.
  const perImage = (share: number) => PEAK_PER_ACTIVATION_BYTE * size.activationBytesPerImage * share;
  const most = (share: number) => Math.max(0, Math.floor((budget - weightBytes) / perImage(share)));
  const threshold = Math.floor(RECOMPUTE_THRESHOLD_BYTES / size.activationBytesPerImage);
  const plain = most(1);
  const saving = most(tapedShare(true, size.segments));
  const best =
    run.recompute === 'on' ? saving
    : run.recompute === 'off' || run.nativeMemory ? plain
    : saving > threshold ? saving : Math.min(plain, threshold);
  const batch = best * threads;
  const largest = batch >= 16 ? batch - (batch % 8) : batch;
  return { ...base, fits, largestBatchThatFits: largest };
}

/** A narrower supernet that fits at a given batch (the pre-flight's advice when no batch fits at this C and N). */
export interface NarrowerFit {
  batchSize: number;
  channels: number;
  estimateBytes: number;
}

/** The smallest channel count the spaces accept (shared/spaces/registry.ts). */
const MIN_CHANNELS = 2;
/** A batch small enough to search with, where the run's own batch leaves room for too few channels. */
const SMALL_BATCH = 16;

/**
 * When no batch fits at this C and N: the largest C below the run's that fits at the run's batch, and at batch
 * 16 when the run's batch is larger (two answers, since a huge batch may leave room for a uselessly narrow
 * supernet only). Empty when not even C = 2 fits at either batch: then only fewer cells N help.
 */
export function largestChannelsThatFit(
  one: ShapeMeasure,
  two: ShapeMeasure,
  target: { channels: number; cells: number },
  run: RunShape,
  limitBytes: number | null,
): NarrowerFit[] {
  if (limitBytes === null) return [];
  const batches = run.batchSize > SMALL_BATCH ? [run.batchSize, SMALL_BATCH] : [run.batchSize];
  const found: NarrowerFit[] = [];
  for (const batchSize of batches) {
    // Memory grows with C (activations ∝ C, weights ∝ C²), so the first C that fits going down is the largest.
    for (let channels = target.channels - 1; channels >= MIN_CHANNELS; channels--) {
      const m = estimateMemory(extrapolateSize(one, two, { channels, cells: target.cells }), { ...run, batchSize }, limitBytes);
      if (m.fits) {
        found.push({ batchSize, channels, estimateBytes: m.estimateBytes });
        break;
      }
    }
  }
  return found;
}
