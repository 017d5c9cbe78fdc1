import * as tf from '../engine/tf';
import type { ForwardContext } from '../engine/layers';
import type { InstanasLatency } from '../../../shared/instanas';
import { MOBILENET_OP_LABELS, latencyReferences, type Policy } from '../../../shared/spaces/mobilenet';
import type { MobilenetMetaGraph } from '../spaces/mobilenet';

// InstaNAS's latency lookup table (ALGORITHMS.md §6), measured on this machine's backend: each (block, op) run
// alone at batch 1 on a synthetic input of the block's input shape, in eval mode; run 1 is a warm-up (kernel
// compilation, memory pools) and the table holds the mean of runs 2..5. Every run waits for its output's data,
// so asynchronous backends are timed to completion. Measured once per run and stored with it (a resume
// reuses it, so the rewards of a resumed run are those of an uninterrupted one).

const EVAL: ForwardContext = { training: false, bnUpdates: null };
/** Runs per cell of the table; the first is not timed. */
const RUNS = 5;

async function timeOnce(run: () => tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const y = tf.tidy(run);
  await y.data();
  const ms = performance.now() - t0;
  y.dispose();
  return ms;
}

/** Mean time of runs 2..n of `run` (run 1 warms up). */
export async function meanOfLaterRuns(run: () => tf.Tensor, runs = RUNS): Promise<number> {
  let total = 0;
  for (let i = 0; i < runs; i++) {
    const ms = await timeOnce(run);
    if (i > 0) total += ms;
  }
  return total / (runs - 1);
}

export async function measureLatencyTable(graph: MobilenetMetaGraph, environment: { backend: string; device: string }): Promise<InstanasLatency> {
  const blocks = graph.blocks;
  // One whole forward first: the backend's one-time set-up is not charged to the first block's ops.
  const image = tf.zeros([1, ...graph.inputShape]) as tf.Tensor4D;
  await timeOnce(() => graph.forward(EVAL, image));
  image.dispose();
  const table: number[][] = [];
  for (const b of blocks) {
    const x = tf.zeros([1, b.inputSize, b.inputSize, b.inChannels]) as tf.Tensor4D;
    const row: number[] = [];
    for (let k = 0; k < MOBILENET_OP_LABELS.length; k++) row.push(await meanOfLaterRuns(() => graph.runOp(EVAL, b.index, k, x)));
    x.dispose();
    table.push(row);
  }
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

/** Measured latency of one policy's sub-network on one image (batch 1): mean of runs 2..3. */
export function measurePolicyLatency(graph: MobilenetMetaGraph, image: tf.Tensor4D, policy: Policy): Promise<number> {
  return meanOfLaterRuns(() => graph.forwardPolicy(EVAL, image, policy), 3);
}
