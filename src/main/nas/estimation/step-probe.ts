import type { SearchConfig } from '../../../shared/config';
import { isCellSpace, type CellSpaceConfig } from '../../../shared/spaces/registry';
import * as tf from '../engine/tf';
import { estimateActivationBytes } from '../engine/recompute';
import { Rng } from '../engine/rng';
import type { Supernet } from '../engine/supernet';
import { spaceImplementation } from '../spaces/registry';
import { disposeGrads, lossAndGrads } from '../strategies/one-shot';
import { GradientPool, attachPool } from '../parallel/gradient-pool';
import { isThreadedBackend } from '../../../shared/training-threads';
import { estimateMemory, extrapolateSize, largestChannelsThatFit, type MemoryEstimate, type NarrowerFit, type ShapeMeasure } from './memory-estimate';

// Short measured probes on the current backend (a probe child of the trainer program has loaded it): the
// time of one search step (a weight step and an α step, as a first-order one-shot search takes) of a small
// reference supernet for the backend verdict, and of the run's own supernet for the New-run pre-flight (on
// the run's threads, through a gradient pool, where it trains on several).

/** The reference supernet `auto` compares backends with: small enough for a few seconds on wasm here. */
export const REFERENCE_PROBE = { channels: 8, cells: 1, batch: 16, inputShape: [28, 28, 1] as [number, number, number], classes: 10 };

/** Builds above this many weights are not built just to time them (the estimate is extrapolated instead). */
const MAX_TIMED_PARAMS = 64e6;

type AnySpace = SearchConfig['space'];
type Space = CellSpaceConfig;

function build(space: AnySpace, inputShape: [number, number, number], classes: number): Supernet {
  return spaceImplementation(space).build(space, inputShape, classes, new Rng(1));
}

function countParams(net: Supernet): number {
  let n = 0;
  for (const v of net.params.trainable.values()) n += v.size;
  for (const a of net.alphas.values()) n += a.size;
  return n;
}

/** Median wall time (ms) of `steps` search steps after one warm-up step (shader compilation, first allocations). */
export async function timeSearchSteps(net: Supernet, inputShape: [number, number, number], classes: number, batch: number, steps: number, recompute: boolean): Promise<number> {
  const alphas = [...net.alphas.values()];
  const weights = [...net.params.trainable.values()];
  const x = tf.randomNormal([batch, ...inputShape]) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % classes), 'int32');
  const times: number[] = [];
  try {
    for (let s = 0; s <= steps; s++) {
      const t0 = performance.now();
      for (const vars of [weights, alphas]) {
        const r = lossAndGrads(net, x, y, vars, { recompute, updateBnStats: vars === weights });
        // Reading a gradient waits for the device (webgpu queues work asynchronously).
        const first = Object.values(r.grads)[0];
        if (first) await first.data();
        disposeGrads(r.grads);
      }
      if (s > 0) times.push(performance.now() - t0);
    }
  } finally {
    x.dispose();
    y.dispose();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** The reference probe: median step time (ms) of the small supernet on the current backend. */
export async function timeReferenceStep(steps = 3): Promise<number> {
  const p = REFERENCE_PROBE;
  const net = build({ name: 'nb201', channels: p.channels, cells: p.cells } as Space, p.inputShape, p.classes);
  try {
    return await timeSearchSteps(net, p.inputShape, p.classes, p.batch, steps, false);
  } finally {
    net.dispose();
  }
}

function measure(space: Space, inputShape: [number, number, number], classes: number): ShapeMeasure {
  const net = build(space, inputShape, classes);
  try {
    return {
      channels: space.channels,
      cells: space.cells,
      activationBytesPerImage: estimateActivationBytes(net, inputShape, 1),
      params: countParams(net),
      segments: net.segments?.().length ?? 1,
    };
  } finally {
    net.dispose();
  }
}

export interface ConfigProbe {
  params: number;
  memory: MemoryEstimate;
  /** When no batch fits at this C and N: the largest C that fits at the run's batch and at batch 16 (see largestChannelsThatFit). */
  narrower: NarrowerFit[];
  /** Median search-step time at the run's batch; null when it was not timed (does not fit, or too big to build). */
  stepMs: number | null;
  /** The threads that step was timed on: the run's, or 1 where no pool could start (then the time is one thread's). */
  stepThreads: number;
}

/**
 * The run's supernet sized (measured at a small C and a few cells, then extrapolated) and, when it fits and
 * `steps` > 0, timed at its own batch.
 */
export async function probeConfig(
  config: SearchConfig,
  inputShape: [number, number, number],
  classes: number,
  limitBytes: number | null,
  steps: number,
): Promise<ConfigProbe> {
  const space = config.space;
  if (!isCellSpace(space)) throw new Error(`The pre-flight cannot size the ${space.name} space yet: it measures cell supernets (C channels, N cells).`);
  // Cell counts past which a supernet grows by whole cells only (DARTS puts its two reduction cells at L/3 and 2L/3).
  const [k1, k2] = space.name === 'darts' ? [3, 6] : [1, 2];
  const c0 = Math.min(space.channels, 8);
  const one = measure({ ...space, channels: c0, cells: Math.min(space.cells, k1) }, inputShape, classes);
  const two = space.cells > k1 ? measure({ ...space, channels: c0, cells: Math.min(space.cells, k2) }, inputShape, classes) : one;
  const size = extrapolateSize(one, two, space);
  // The caller resolves 'auto' threads (run-estimate-service.ts: the machine's idle cores); a probe asked with
  // 'auto' sizes one thread.
  const threads = typeof config.threads === 'number' ? config.threads : 1;
  const run = { batchSize: config.batchSize, recompute: config.recompute, nativeMemory: tf.getBackend() === 'tensorflow', threads };
  const memory = estimateMemory(size, run, limitBytes);
  const noBatchFits = memory.fits === false && (memory.largestBatchThatFits ?? 0) < 2;
  const narrower = noBatchFits ? largestChannelsThatFit(one, two, space, run, limitBytes) : [];
  let stepMs: number | null = null;
  let stepThreads = 1;
  if (steps > 0 && memory.fits !== false && size.params <= MAX_TIMED_PARAMS) {
    const net = build(space, inputShape, classes);
    // Timed as the run will train: on its threads (a gradient pool) where it has several.
    const pool = threads > 1 ? await startProbePool(config, threads, inputShape, classes) : null;
    try {
      if (pool) attachPool(net, pool);
      // Without a pool the whole batch is this thread's: its own recompute rule, and it must fit one heap.
      const oneThread = pool ? memory : estimateMemory(size, { ...run, threads: 1 }, limitBytes);
      if (oneThread.fits !== false) {
        stepMs = await timeSearchSteps(net, inputShape, classes, config.batchSize, steps, oneThread.recompute);
        stepThreads = pool?.threads ?? 1;
      }
    } finally {
      await pool?.dispose();
      net.dispose();
    }
  }
  return { params: size.params, memory, narrower, stepMs, stepThreads };
}

/** A gradient pool for timing the run's step on its threads; null (time one thread) where none can start here. */
async function startProbePool(config: SearchConfig, threads: number, inputShape: [number, number, number], classes: number): Promise<GradientPool | null> {
  const backend = tf.getBackend();
  if (!isThreadedBackend(backend)) return null;
  try {
    return await GradientPool.start({ threads, bn: config.threadBn, space: config.space, inputShape, classes, backend });
  } catch {
    // E.g. the worker bundle is missing from a source checkout: the pre-flight then says its time is one thread's.
    return null;
  }
}
