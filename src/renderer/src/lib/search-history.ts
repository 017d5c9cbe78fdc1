// What the SGAS / SGAS-es panels draw, computed from stored and live search history (pure; unit-tested):
// the candidates behind each decision, the λ_max curve on a wall or logical epoch axis, and the growing cell.
import type { Decision, EarlyStop, Eigenvalue } from '../../../shared/events';
import { dartsEdgeIndex, dartsStepsForEdgeCount, type GenotypeEntry } from '../../../shared/spaces/darts';
import { dartsGraph, nb201Graph, type CellGraphModel } from './genotype';

export interface CandidateRow {
  edge: number;
  label: string;
  importance: number;
  certainty: number;
  stability: number | null;
  /** null: the edge was already decided (or pruned) and was not a candidate. */
  score: number | null;
  chosen: boolean;
}

/** Every edge's scores at decision time, best score first, edges that were not candidates last. */
export function candidateRows(d: Decision, labels: readonly string[]): CandidateRow[] {
  const rows = d.scores.importance.map((importance, edge) => ({
    edge,
    label: labels[edge] ?? `edge ${edge}`,
    importance,
    certainty: d.scores.certainty[edge] ?? 0,
    stability: d.scores.stability ? (d.scores.stability[edge] ?? null) : null,
    score: d.scores.score[edge] ?? null,
    chosen: edge === d.edge,
  }));
  return rows.sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity) || a.edge - b.edge);
}

export type EpochAxis = 'wall' | 'logical';
export type XY = [number, number];

export interface LambdaChartData {
  lambda: XY[];
  average: XY[];
  /** Early stops (x = the epoch whose end fired the test) and where each one rolled back to. */
  stops: { x: number; label: string }[];
  rollbacks: { x: number; label: string }[];
}

/**
 * λ_max and its local average against 1-based epochs. Wall epochs count every epoch trained; on the logical
 * axis epochs repeat after a rollback, so only the latest value per logical epoch (the kept trajectory) is drawn.
 * The local average of a window w is attributed to its centre, `shift` = ⌊w/2⌋ epochs before it was computed.
 */
export function lambdaChart(eigenvalues: readonly Eigenvalue[], stops: readonly EarlyStop[], axis: EpochAxis, shift = 0): LambdaChartData {
  const x = (e: { epoch: number; wallEpoch: number }) => (axis === 'wall' ? e.wallEpoch : e.epoch) + 1;
  const ordered = [...eigenvalues].sort((a, b) => a.wallEpoch - b.wallEpoch);
  const kept = new Map<number, Eigenvalue>();
  for (const e of ordered) kept.set(axis === 'wall' ? e.wallEpoch : e.epoch, e);
  const points = [...kept.values()].sort((a, b) => x(a) - x(b));
  const lambda = points.map((e) => [x(e), e.lambdaMax] as XY);
  const average = points.filter((e) => e.localAverage !== null).map((e) => [x(e) - shift, e.localAverage as number] as XY);
  const stopMarks = stops.map((s) => ({
    x: x(s),
    label: s.reason === 'eigenvalue' ? `stop${s.ratio !== null ? ` ×${s.ratio.toFixed(2)}` : ''}` : 'phase limit',
  }));
  const rollbacks = stops
    .filter((s) => s.rollbackTo !== s.epoch)
    .map((s) => ({
      // A rollback returns to the end of logical epoch `rollbackTo`; on the wall axis it happens at the stop.
      x: axis === 'wall' ? s.wallEpoch + 1 : s.rollbackTo + 1,
      label: `↺ epoch ${s.rollbackTo + 1}`,
    }));
  return { lambda, average, stops: stopMarks, rollbacks };
}

/** A `genotype` snapshot of SGAS: the forced cell plus which edges are decided (op column) or not (null). */
export interface ForcedGenotype {
  genotype: unknown;
  decided: Record<string, (number | null)[]>;
  forced: true;
}

export function isForcedGenotype(x: unknown): x is ForcedGenotype {
  const p = x as ForcedGenotype;
  return !!p && typeof p === 'object' && p.forced === true && !!p.decided && typeof p.decided === 'object' && p.genotype !== undefined;
}

/**
 * The cell graph of a forced genotype: decided edges drawn solid, edges still open (the current best
 * candidate, drawn so the cell is complete) marked `pending` and drawn dashed.
 */
export function forcedGraph(space: string, payload: ForcedGenotype, cellType: string): CellGraphModel | null {
  const decided = payload.decided[cellType];
  if (!decided) return null;
  if (space === 'nb201') {
    if (!Array.isArray(payload.genotype)) return null;
    const g = nb201Graph(payload.genotype as string[]);
    g.edges.forEach((e, k) => (e.pending = decided[k] === null || decided[k] === undefined));
    return g;
  }
  const entries = (payload.genotype as Record<string, GenotypeEntry[]> | null)?.[cellType];
  if (!Array.isArray(entries)) return null;
  const steps = dartsStepsForEdgeCount(decided.length);
  const g = dartsGraph(entries, steps);
  entries.forEach(([, input], i) => {
    const node = Math.floor(i / 2);
    const row = decided[dartsEdgeIndex(node, input)];
    g.edges[i].pending = row === null || row === undefined;
  });
  return g;
}

/** How many edges of each cell type are decided in a forced genotype. */
export function decidedCount(payload: ForcedGenotype, cellType: string): { decided: number; total: number } {
  const row = payload.decided[cellType] ?? [];
  return { decided: row.filter((v) => v !== null).length, total: row.length };
}
