import type { Rng } from '../engine/rng';
import type { EdgeSelection } from '../spaces/registry';

// MdeNAS's multinomial distribution (ALGORITHMS.md §5): per edge, a categorical p over the ops, the epochs each
// op was trained (H^e) and the accuracy it reached (H^a). An update compares every pair of ops of an edge:
// op i beats op j when it was trained no more (H^e_i ≤ H^e_j) and reached a strictly higher accuracy
// (H^a_i > H^a_j) — the performance-ranking hypothesis. Each won comparison moves α_p of mass from loser to
// winner, so the total stays 1. Plain JSON state (STYLE §3): checkpoints and dry runs store it as is.

export interface MdenasCellStats {
  p: number[][];
  /** H^e: times each op was sampled and trained. */
  epochs: number[][];
  /** H^a: the latest accuracy (or the running mean) of each op; null before it was ever sampled. */
  accuracy: Array<Array<number | null>>;
}

export type MdenasState = Record<string, MdenasCellStats>;

export type MdenasUpdateRule = 'transfer' | 'shift';

export function newMdenasState(cellTypes: readonly string[], edges: number, ops: number): MdenasState {
  const cell = (): MdenasCellStats => ({
    p: Array.from({ length: edges }, () => new Array<number>(ops).fill(1 / ops)),
    epochs: Array.from({ length: edges }, () => new Array<number>(ops).fill(0)),
    accuracy: Array.from({ length: edges }, () => new Array<number | null>(ops).fill(null)),
  });
  return Object.fromEntries(cellTypes.map((k) => [k, cell()]));
}

/** Draws k ~ Categorical(p_e) for every edge of every cell type (inverse CDF on one uniform per edge). */
export function sampleFromDistribution(state: MdenasState, rng: Rng): EdgeSelection {
  return Object.fromEntries(Object.entries(state).map(([key, cell]) => [key, cell.p.map((row) => sampleRow(row, rng.next()))]));
}

function sampleRow(row: readonly number[], u: number): number {
  let acc = 0;
  for (let k = 0; k < row.length; k++) {
    acc += row[k];
    if (u < acc) return k;
  }
  // Rounding left Σp a hair below u: the last op with any mass.
  for (let k = row.length - 1; k >= 0; k--) if (row[k] > 0) return k;
  return row.length - 1;
}

/** Records that `selection` was trained once and reached `accuracy` (H^e += 1; H^a latest or running mean). */
export function recordSample(state: MdenasState, selection: EdgeSelection, accuracy: number, mode: 'latest' | 'mean'): void {
  if (!Number.isFinite(accuracy)) return; // no measurement: a NaN would poison the running mean and is not JSON (resumes)
  for (const [key, cell] of Object.entries(state)) {
    const chosen = selection[key];
    if (!chosen) continue;
    chosen.forEach((k, e) => {
      if (k === null || k < 0) return;
      const n = cell.epochs[e][k] + 1;
      cell.epochs[e][k] = n;
      const previous = cell.accuracy[e][k];
      cell.accuracy[e][k] = mode === 'latest' || previous === null ? accuracy : previous + (accuracy - previous) / n;
    });
  }
}

/** wins[i] and losses[i] of each op of one edge; an op never sampled has no accuracy and takes no part. */
export function pairwiseRecord(epochs: readonly number[], accuracy: ReadonlyArray<number | null>): { wins: number[][]; count: { wins: number[]; losses: number[] } } {
  const n = epochs.length;
  const wins = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const winCount = new Array<number>(n).fill(0);
  const lossCount = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    const ai = accuracy[i];
    if (ai === null) continue;
    for (let j = 0; j < n; j++) {
      const aj = accuracy[j];
      if (i === j || aj === null) continue;
      if (epochs[i] <= epochs[j] && ai > aj) {
        wins[i][j] = 1;
        winCount[i] += 1;
        lossCount[j] += 1;
      }
    }
  }
  return { wins, count: { wins: winCount, losses: lossCount } };
}

/**
 * The update of one edge's p. `transfer`: every won comparison moves `lr` from loser to winner, scaled down
 * for a loser whose mass would not cover all it owes (so p never goes below 0 and the result does not depend
 * on the order of the ops). `shift`: p_i += lr·(wins_i − losses_i), then shift by −min and renormalise when
 * an entry went negative (UniNAS).
 */
export function updateRow(p: readonly number[], epochs: readonly number[], accuracy: ReadonlyArray<number | null>, lr: number, rule: MdenasUpdateRule): number[] {
  const { wins, count } = pairwiseRecord(epochs, accuracy);
  const n = p.length;
  if (rule === 'shift') {
    const next = p.map((v, i) => v + lr * (count.wins[i] - count.losses[i]));
    const min = Math.min(...next);
    if (min >= 0) return next;
    const shifted = next.map((v) => v - min);
    const total = shifted.reduce((a, b) => a + b, 0);
    return total > 0 ? shifted.map((v) => v / total) : new Array<number>(n).fill(1 / n);
  }
  // The scale of each loser: what it can pay over what it owes.
  const scale = p.map((pj, j) => {
    const owed = lr * count.losses[j];
    return owed > pj ? pj / owed : 1;
  });
  const next = [...p];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (!wins[i][j]) continue;
      const moved = lr * scale[j];
      next[i] += moved;
      next[j] -= moved;
    }
  }
  // A loser that paid all its mass is exactly 0 (float subtraction may leave −1e-18).
  return next.map((v) => (v < 0 ? 0 : v));
}

/** Updates every edge of every cell type in place. */
export function updateDistribution(state: MdenasState, lr: number, rule: MdenasUpdateRule): void {
  for (const cell of Object.values(state)) {
    cell.p = cell.p.map((row, e) => updateRow(row, cell.epochs[e], cell.accuracy[e], lr, rule));
  }
}

/** Entropy of a row divided by log(#ops): 1 for uniform, 0 for one-hot. */
export function normalisedEntropy(row: readonly number[]): number {
  if (row.length < 2) return 0;
  const h = row.reduce((acc, v) => (v > 0 ? acc - v * Math.log(v) : acc), 0);
  return h / Math.log(row.length);
}

export type MdenasConvergence = { rule: 'max-probability'; threshold: number } | { rule: 'entropy'; threshold: number } | { rule: 'epochs' };

/** True when every edge of every cell type has converged by the rule (never for 'epochs'). */
export function hasConverged(state: MdenasState, convergence: MdenasConvergence): boolean {
  if (convergence.rule === 'epochs') return false;
  const rows = Object.values(state).flatMap((c) => c.p);
  if (convergence.rule === 'max-probability') return rows.every((row) => Math.max(...row) >= convergence.threshold);
  return rows.every((row) => normalisedEntropy(row) < convergence.threshold);
}

/** p per cell type, as the 'probabilities' snapshot. */
export function probabilities(state: MdenasState): Record<string, number[][]> {
  return Object.fromEntries(Object.entries(state).map(([k, c]) => [k, c.p.map((row) => [...row])]));
}

/**
 * The weights a space derives MdeNAS's architecture from: p, with exact ties (a row still uniform, or two ops
 * that never met) broken by the accuracy each op reached, then by the epochs it trained. Without this, a tie
 * goes to the first column — `none` — and an untouched edge reads as a removed one. The nudges (< 1e-9) never
 * reorder unequal probabilities.
 */
export function derivationWeights(state: MdenasState): Record<string, number[][]> {
  return Object.fromEntries(
    Object.entries(state).map(([k, c]) => [
      k,
      c.p.map((row, e) => {
        const rank = (values: ReadonlyArray<number | null>) => {
          const order = values.map((v, i) => [v ?? -Infinity, i] as const).sort((x, y) => x[0] - y[0]);
          const r = new Array<number>(values.length).fill(0);
          order.forEach(([, i], position) => (r[i] = position));
          return r;
        };
        const byAccuracy = rank(c.accuracy[e]);
        const byEpochs = rank(c.epochs[e]);
        const n = row.length;
        return row.map((p, i) => p + 1e-10 * (byAccuracy[i] * n + byEpochs[i]) / (n * n));
      }),
    ]),
  );
}
