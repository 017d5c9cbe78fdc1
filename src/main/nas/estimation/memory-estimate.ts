import { PEAK_PER_ACTIVATION_BYTE, PLANNED_SHARE } from '../engine/errors';
import { RECOMPUTE_THRESHOLD_BYTES } from '../engine/recompute';

// The New-run pre-flight's memory estimate: the trainer's out-of-memory model (engine/errors.ts: the heap
// peaks at PEAK_PER_ACTIVATION_BYTE × the taped activations; a run may plan on PLANNED_SHARE of the limit)
// applied BEFORE a run starts, plus the weights' own state. A supernet too big to build (C = 256, N = 30 has
// billions of weights) is never built: it is measured at a small C and one and two cells, and extrapolated.

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
  /** Estimated peak of one training step at the run's batch. */
  estimateBytes: number;
  /** What the backend gives one run; null when unknown (then `fits` is null too). */
  limitBytes: number | null;
  fits: boolean | null;
  /** The largest batch estimated to fit at this C and N (a multiple of 8 where possible); 0 when none does; null when the limit is unknown. */
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

export function estimateMemory(
  size: SupernetSize,
  run: { batchSize: number; recompute: 'auto' | 'on' | 'off'; nativeMemory: boolean },
  limitBytes: number | null,
): MemoryEstimate {
  const weightBytes = WEIGHT_COPIES * 4 * size.params;
  // The trainer's rule (recompute.ts shouldRecompute): auto turns it on above the threshold, never on native TensorFlow.
  const recomputeAt = (batch: number) =>
    run.recompute === 'on' || (run.recompute === 'auto' && !run.nativeMemory && size.activationBytesPerImage * batch > RECOMPUTE_THRESHOLD_BYTES);
  const peak = (batch: number) => weightBytes + PEAK_PER_ACTIVATION_BYTE * size.activationBytesPerImage * batch * tapedShare(recomputeAt(batch), size.segments);
  const estimateBytes = peak(run.batchSize);
  const recompute = recomputeAt(run.batchSize);
  if (limitBytes === null) return { estimateBytes, limitBytes, fits: null, largestBatchThatFits: null, recompute, weightBytes };
  const budget = limitBytes * PLANNED_SHARE;
  const fits = estimateBytes <= budget;
  // Linear in the batch within each regime (without, then with recompute under 'auto'): the largest batch of each.
  const perImage = (share: number) => PEAK_PER_ACTIVATION_BYTE * size.activationBytesPerImage * share;
  const most = (share: number) => Math.max(0, Math.floor((budget - weightBytes) / perImage(share)));
  const threshold = Math.floor(RECOMPUTE_THRESHOLD_BYTES / size.activationBytesPerImage);
  const plain = most(1);
  const saving = most(tapedShare(true, size.segments));
  const best =
    run.recompute === 'on' ? saving
    : run.recompute === 'off' || run.nativeMemory ? plain
    : saving > threshold ? saving : Math.min(plain, threshold);
  const largest = best >= 16 ? best - (best % 8) : best;
  return { estimateBytes, limitBytes, fits, largestBatchThatFits: largest, recompute, weightBytes };
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
  run: { batchSize: number; recompute: 'auto' | 'on' | 'off'; nativeMemory: boolean },
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
