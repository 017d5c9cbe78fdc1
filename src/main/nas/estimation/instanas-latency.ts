import * as tf from '../engine/tf';
import type { ForwardContext } from '../engine/layers';
import type { InstanasLatency } from '../../../shared/instanas';
import { MOBILENET_OP_LABELS, latencyReferences, type Policy } from '../../../shared/spaces/mobilenet';
import type { MobilenetMetaGraph } from '../spaces/mobilenet';

// InstaNAS's latency lookup table (ALGORITHMS.md §6), measured on this machine's backend: each (block, op) run
// alone at batch 1 on a synthetic input of the block's input shape, in eval mode. Every run waits for its
// output's data, so asynchronous backends are timed to completion. Measured once per run and stored with it (a
// resume reuses it, so the rewards of a resumed run are those of an uninterrupted one).
//
// Departure from the reference (mean of runs 2..5 per cell, one cell after another): the table is the MEDIAN of
// ROUNDS timings per cell, taken round-robin — every cell once per round — after WARMUP untimed rounds. On a
// machine whose cores other processes share, a mean of four back-to-back runs takes whatever pause hits them
// (a GC, a preemption): one table measured a 7-block cell at 5.8 ms beside 0.4 ms neighbours, and the cheapest
// policy's sum varied 0.77–9.76 ms between runs, above half the baseline, which closed the reward's window.
// Round-robin spreads a burst of load over one timing of many cells instead of every timing of one; the median
// then drops it.

const EVAL: ForwardContext = { training: false, bnUpdates: null };
/** Untimed rounds over the whole table first (kernel compilation, memory pools). */
const WARMUP = 2;
/** Timed rounds; each cell's latency is the median of these. */
const ROUNDS = 9;

async function timeOnce(run: () => tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const y = tf.tidy(run);
  await y.data();
  const ms = performance.now() - t0;
  y.dispose();
  return ms;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('The median of no values is undefined.');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median time of `runs` timed runs of `run`, after `warmup` untimed ones. */
export async function medianTime(run: () => tf.Tensor, runs = ROUNDS, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await timeOnce(run);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeOnce(run));
  return median(times);
}

/** Per cell, the median of `rounds` timings taken round-robin over all cells, after `warmup` untimed rounds. */
export async function roundRobinMedians(cells: readonly (() => tf.Tensor)[], rounds = ROUNDS, warmup = WARMUP): Promise<number[]> {
  const times = cells.map(() => [] as number[]);
  for (let r = 0; r < warmup + rounds; r++) {
    for (let i = 0; i < cells.length; i++) {
      const ms = await timeOnce(cells[i]);
      if (r >= warmup) times[i].push(ms);
    }
  }
  return times.map(median);
}

export async function measureLatencyTable(graph: MobilenetMetaGraph, environment: { backend: string; device: string }): Promise<InstanasLatency> {
  const blocks = graph.blocks;
  const OPS = MOBILENET_OP_LABELS.length;
  const inputs = blocks.map((b) => tf.zeros([1, b.inputSize, b.inputSize, b.inChannels]) as tf.Tensor4D);
  const cells = blocks.flatMap((b) => Array.from({ length: OPS }, (_, k) => () => graph.runOp(EVAL, b.index, k, inputs[b.index])));
  const medians = await roundRobinMedians(cells);
  inputs.forEach((x) => x.dispose());
  const table = blocks.map((_, t) => medians.slice(t * OPS, (t + 1) * OPS));
  return {
    unit: 'ms',
    backend: environment.backend,
    device: environment.device,
    blocks: blocks.map((b) => ({ ...b })),
    ops: [...MOBILENET_OP_LABELS],
    table,
    ...latencyReferences(table, blocks),
  };
}

/** Measured latency of one policy's sub-network on one image (batch 1): the median of 3 runs after a warm-up. */
export function measurePolicyLatency(graph: MobilenetMetaGraph, image: tf.Tensor4D, policy: Policy): Promise<number> {
  return medianTime(() => graph.forwardPolicy(EVAL, image, policy), 3);
}
