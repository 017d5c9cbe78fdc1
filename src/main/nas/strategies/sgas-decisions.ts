import { DARTS_STEPS, dartsEdges, type GenotypeEntry } from '../../../shared/spaces/darts';
import { NB201_EDGES } from '../../../shared/spaces/nb201';

// SGAS edge decisions (ALGORITHMS.md §3), as pure functions on plain JSON state so that the state goes into
// checkpoints and a rollback (SGAS-es) restores it with the tensors. Rows of `probs` are edges, columns ops
// (softmax(α) of one cell type); the op list names the columns, and 'none' is found by name because a run may
// leave it out.

/** Edge status: −1 undecided, null pruned, k ≥ 0 the column of the fixed op (the encoding ArchMasks.set takes). */
export type EdgeSelection = number | null;
export const UNDECIDED = -1;

export interface SgasCellState {
  selected: EdgeSelection[];
  /** Past non-none distributions p̂ (oldest first, at most `historySize`); Criterion 2 only. */
  history: number[][][];
}

export type SgasCriterion = 1 | 2;
export const HISTORY_SIZE = 4;
export const BATCH_INCREASE = 8;

/** Which node each edge enters and which state it reads; how many inputs a node keeps. */
export interface CellTopology {
  edges: ReadonlyArray<{ node: number; source: number }>;
  /** DARTS: 2 inputs per node (in-degree pruning); null: every edge keeps an op (NAS-Bench-201). */
  maxInDegree: number | null;
}

export function dartsTopology(steps = DARTS_STEPS): CellTopology {
  return { edges: dartsEdges(steps).map(({ node, source }) => ({ node, source })), maxInDegree: 2 };
}

export const NB201_TOPOLOGY: CellTopology = { edges: NB201_EDGES.map(([from, to]) => ({ node: to, source: from })), maxInDegree: null };

export function newSgasCellState(edgeCount: number): SgasCellState {
  return { selected: new Array<EdgeSelection>(edgeCount).fill(UNDECIDED), history: [] };
}

/** Decisions a cell type needs: 2 per node with in-degree pruning (8 for DARTS), else one per edge (6 for NB201). */
export function decisionsPerCell(topology: CellTopology): number {
  if (topology.maxInDegree === null) return topology.edges.length;
  const nodes = new Set(topology.edges.map((e) => e.node));
  return [...nodes].reduce((s, n) => s + Math.min(topology.maxInDegree!, topology.edges.filter((e) => e.node === n).length), 0);
}

export function candidateEdges(state: SgasCellState): number[] {
  return state.selected.flatMap((s, e) => (s === UNDECIDED ? [e] : []));
}

export function allDecided(state: SgasCellState): boolean {
  return !state.selected.includes(UNDECIDED);
}

/** Batch size after `decisions` decisions: fixed edges free memory, so SGAS grows the batch by 8 each time. */
export function batchSizeAfter(base: number, decisions: number, increase = BATCH_INCREASE): number {
  return base + increase * decisions;
}

/** SGAS's fixed schedule: a decision at warmup, warmup + freq, … (epochs counted from 0). */
export function isDecisionEpoch(epoch: number, warmup: number, frequency: number): boolean {
  return epoch >= warmup && (epoch - warmup) % frequency === 0;
}

/** warmup + freq·(decisions − 1) decision span, the last decision epoch itself, then `finalEpochs` (9+35+1+5 = 50). */
export function sgasTotalEpochs(warmup: number, frequency: number, decisions: number, finalEpochs = 5): number {
  return warmup + frequency * (decisions - 1) + 1 + finalEpochs;
}

/** (v − min)/(max − min), or all zeros when the range is 0 (the reference's `normalize`). */
export function minMaxNormalize(values: readonly number[]): number[] {
  const min = Math.min(...values);
  const range = Math.max(...values) - min;
  return range > 0 ? values.map((v) => (v - min) / range) : values.map(() => 0);
}

/** Σ_k min(a_k, b_k): 1 for identical distributions, 0 for disjoint ones. */
export function histogramIntersection(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, x, k) => s + Math.min(x, b[k]), 0);
}

/** 1 − entropy(p)/log K; 1 for one-hot, 0 for uniform (and 1 when there is a single op to choose from). */
export function selectionCertainty(p: readonly number[]): number {
  if (p.length < 2) return 1;
  const h = -p.reduce((s, x) => s + (x > 0 ? x * Math.log(x) : 0), 0);
  return 1 - h / Math.log(p.length);
}

export interface SgasScores {
  /** I_e = 1 − P_none (1 everywhere when the run has no 'none' op). */
  importance: number[];
  certainty: number[];
  /** Mean histogram intersection with the history; null for Criterion 1, or when the history is empty. */
  stability: number[] | null;
  /** Product of the min-max-normalised factors, over all edges (decided ones included, as in the reference). */
  score: number[];
  /** p̂: each edge's distribution over the non-none ops. */
  nonNone: number[][];
  /** Op columns of p̂ in `probs`. */
  nonNoneColumns: number[];
}

/**
 * The SGAS scores of one cell type (§3). A factor that is constant by construction is left out instead of
 * zeroing every score through min-max normalisation: importance when the run has no 'none' op, certainty
 * when only one non-none op exists, and stability while the history is empty.
 *
 * Criterion 2's first decision with an empty history: the reference gets S = 0 everywhere, so every score is
 * 0 and the argmax falls on the first candidate edge whatever α says. We do not replicate that quirk: with an
 * empty history the stability factor is left out, so that decision is made by Criterion 1.
 */
export function edgeScores(
  probs: readonly (readonly number[])[],
  ops: readonly string[],
  history: readonly number[][][],
  criterion: SgasCriterion,
): SgasScores {
  for (const [e, row] of probs.entries()) {
    if (row.length !== ops.length) throw new Error(`Edge ${e} has ${row.length} op weights for ${ops.length} ops (${ops.join(', ')}).`);
  }
  const noneColumn = ops.indexOf('none');
  const nonNoneColumns = ops.flatMap((op, k) => (k === noneColumn ? [] : [k]));
  const importance = probs.map((row) => (noneColumn < 0 ? 1 : nonNoneColumns.reduce((s, k) => s + row[k], 0)));
  const nonNone = probs.map((row, e) => nonNoneColumns.map((k) => (importance[e] > 0 ? row[k] / importance[e] : 1 / nonNoneColumns.length)));
  const certainty = nonNone.map(selectionCertainty);
  const stability =
    criterion === 2 && history.length > 0
      ? nonNone.map((p, e) => history.reduce((s, h) => s + histogramIntersection(h[e], p), 0) / history.length)
      : null;
  const factors: number[][] = [];
  if (noneColumn >= 0) factors.push(minMaxNormalize(importance));
  if (nonNoneColumns.length > 1) factors.push(minMaxNormalize(certainty));
  if (stability) factors.push(minMaxNormalize(stability));
  const score = probs.map((_, e) => factors.reduce((s, f) => s * f[e], 1));
  return { importance, certainty, stability, score, nonNone, nonNoneColumns };
}

/**
 * The end-of-epoch step of a cell type: its scores from the current history, then (Criterion 2) p̂ pushed
 * into the history, which keeps the newest `historySize` entries. Call it every epoch, decision or not, as
 * the reference does, so that the history holds the last epochs.
 */
export function observeEpoch(
  state: SgasCellState,
  probs: readonly (readonly number[])[],
  ops: readonly string[],
  criterion: SgasCriterion,
  historySize = HISTORY_SIZE,
): { state: SgasCellState; scores: SgasScores } {
  if (probs.length !== state.selected.length) throw new Error(`The cell has ${state.selected.length} edges; got weights for ${probs.length}.`);
  const scores = edgeScores(probs, ops, state.history, criterion);
  const history = criterion === 2 ? [...state.history, scores.nonNone].slice(-historySize) : state.history;
  return { state: { selected: [...state.selected], history }, scores };
}

export interface EdgeDecision {
  edge: number;
  /** Column of the chosen op in the op list (never 'none'). */
  op: number;
  opName: string;
  /** Edges the in-degree rule pruned because of this decision. */
  pruned: number[];
  /** Every edge's score at the decision (the UI shows why this edge won). */
  scores: SgasScores;
}

/**
 * One decision for one cell type: the candidate edge with the highest score (ties: the lowest edge index),
 * its op = argmax of p̂ (never 'none'), then the in-degree rule prunes the remaining candidates of every node
 * that has its inputs. Decided and pruned edges never change again.
 */
export function decideEdge(
  state: SgasCellState,
  scores: SgasScores,
  topology: CellTopology,
  ops: readonly string[],
): { state: SgasCellState; decision: EdgeDecision } {
  if (topology.edges.length !== state.selected.length) {
    throw new Error(`The topology has ${topology.edges.length} edges but the SGAS state has ${state.selected.length}.`);
  }
  const candidates = candidateEdges(state);
  if (candidates.length === 0) throw new Error('Every edge of this cell type is already decided; no further decision is possible.');
  const edge = candidates.reduce((best, e) => (scores.score[e] > scores.score[best] ? e : best), candidates[0]);
  const p = scores.nonNone[edge];
  const op = scores.nonNoneColumns[p.reduce((best, x, k) => (x > p[best] ? k : best), 0)];
  const selected = [...state.selected];
  selected[edge] = op;
  const pruned: number[] = [];
  if (topology.maxInDegree !== null) {
    const inputs = new Map<number, number>();
    topology.edges.forEach(({ node }, e) => {
      const s = selected[e];
      if (s !== null && s >= 0) inputs.set(node, (inputs.get(node) ?? 0) + 1);
    });
    topology.edges.forEach(({ node }, e) => {
      if (selected[e] === UNDECIDED && (inputs.get(node) ?? 0) >= topology.maxInDegree!) {
        selected[e] = null;
        pruned.push(e);
      }
    });
  }
  return { state: { selected, history: state.history }, decision: { edge, op, opName: ops[op], pruned, scores } };
}

export interface ForcedEdge {
  edge: number;
  node: number;
  source: number;
  op: string;
  /** True for an edge SGAS has fixed; false for a slot filled from the current α. */
  decided: boolean;
}

/**
 * The "forced" intermediate cell for live display (§3): decided edges as fixed; each node's missing inputs
 * filled with its most important candidate edges (importance, then p̂'s peak, then the lower source) and
 * their argmax non-none op. Without in-degree pruning every edge appears. Sorted by node, then source.
 */
export function forcedCell(state: SgasCellState, scores: SgasScores, topology: CellTopology, ops: readonly string[]): ForcedEdge[] {
  const argmaxOp = (e: number) => {
    const p = scores.nonNone[e];
    return scores.nonNoneColumns[p.reduce((best, x, k) => (x > p[best] ? k : best), 0)];
  };
  const nodes = [...new Set(topology.edges.map((e) => e.node))].sort((a, b) => a - b);
  const out: ForcedEdge[] = [];
  for (const node of nodes) {
    const incoming = topology.edges.flatMap((t, e) => (t.node === node ? [{ ...t, edge: e }] : []));
    const fixed = incoming.filter(({ edge }) => state.selected[edge] !== null && state.selected[edge]! >= 0);
    const slots = topology.maxInDegree === null ? incoming.length : Math.min(topology.maxInDegree, incoming.length);
    const peak = (e: number) => Math.max(...scores.nonNone[e]);
    const fill = incoming
      .filter(({ edge }) => state.selected[edge] === UNDECIDED)
      .sort((a, b) => scores.importance[b.edge] - scores.importance[a.edge] || peak(b.edge) - peak(a.edge) || a.source - b.source)
      .slice(0, Math.max(0, slots - fixed.length));
    for (const t of fixed) out.push({ edge: t.edge, node, source: t.source, op: ops[state.selected[t.edge]!], decided: true });
    for (const t of fill) out.push({ edge: t.edge, node, source: t.source, op: ops[argmaxOp(t.edge)], decided: false });
  }
  return out.sort((a, b) => a.node - b.node || a.source - b.source);
}

/** The forced DARTS cell as genotype entries (op, input state), two per node. */
export function forcedDartsEntries(cell: readonly ForcedEdge[]): GenotypeEntry[] {
  return cell.map((f) => [f.op, f.source]);
}

/** The forced NAS-Bench-201 cell as one op per edge, in edge order (formatNb201Arch takes it). */
export function forcedNb201Ops(cell: readonly ForcedEdge[]): string[] {
  return [...cell].sort((a, b) => a.edge - b.edge).map((f) => f.op);
}
