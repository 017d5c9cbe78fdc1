import * as tf from '../engine/tf';
import type { Batch } from '../data/batcher';
import { alphaHvp, powerIteration, type AlphaBlock } from '../engine/hessian';
import { Rng } from '../engine/rng';
import type { Supernet } from '../engine/supernet';
import { alphaWeights, batchTensors, lossAndGrads } from './one-shot';

// λ_max of H = ∇²_α L_val + λ_α·I over the undecided α (ALGORITHMS.md §4.1): one validation batch, BN in
// training mode without touching its running statistics, power iteration on finite-difference HVPs.

export interface LambdaMaxSettings {
  iterations: number;
  alphaWeightDecay: number;
  recompute?: boolean;
}

/** Undecided rows per α: every row of an α without a mask, else the rows whose `keep` mask is 1. */
export function undecidedBlocks(net: Supernet): AlphaBlock[] {
  const blocks: AlphaBlock[] = [];
  for (const [key, variable] of net.alphas) {
    const mask = net.masks.get(key);
    const rows = mask
      ? (mask.keep.arraySync() as number[][]).flatMap((row, i) => (row[0] === 1 ? [i] : []))
      : Array.from({ length: variable.shape[0] }, (_, i) => i);
    if (rows.length) blocks.push({ variable, rows });
  }
  return blocks;
}

/** softmax(α) rows of the undecided edges of every cell type (the collapse indicator's entropy). */
export function undecidedSoftmaxRows(net: Supernet): number[][] {
  const rows: number[][] = [];
  const weights = alphaWeights(net);
  for (const block of undecidedBlocks(net)) {
    const key = [...net.alphas].find(([, v]) => v === block.variable)?.[0];
    if (key) for (const r of block.rows) rows.push(weights[key][r]);
  }
  return rows;
}

export function measureLambdaMax(
  net: Supernet,
  batch: Batch,
  settings: LambdaMaxSettings,
  seed: number,
): { lambdaMax: number; iterations: number } | null {
  const blocks = undecidedBlocks(net);
  if (blocks.length === 0) return null;
  const { x, y } = batchTensors(batch);
  try {
    const { dim, hvp } = alphaHvp(
      blocks,
      (variables) => lossAndGrads(net, x, y, variables, { updateBnStats: false, recompute: settings.recompute }).grads,
      { weightDecay: settings.alphaWeightDecay },
    );
    const r = powerIteration(hvp, dim, { iters: settings.iterations, tol: 1e-3, rng: new Rng(seed) });
    return { lambdaMax: r.lambdaMax, iterations: r.iterations };
  } finally {
    tf.dispose([x, y]);
  }
}
