// Pure rules for the SPDNetNAS panels (no Vue, no DOM): the sparsemax(α) heat map of a cell type with each
// edge's own op names, the SPD cell a snapshot derives to, and the health verdict on the Karcher residual and
// the eigenvalue range of activations. In a reduction cell the edges leaving the cell's inputs choose among the
// reduced ops and the inner edge among the normal ones (shared/spaces/spd.ts), so op names go per edge.
import type { AlphaSnapshot } from '../../../../shared/events';
import { dartsEdges } from '../../../../shared/spaces/darts';
import { SPD_STEPS, deriveSpdCell, spdEdgeOps, type SpdCellType } from '../../../../shared/spaces/spd';
import { SPDNAS_HEALTH_METRICS } from '../../../../shared/strategies/spdnas';
import { dartsGraph, dartsInputText, type CellGraphModel } from '../../lib/genotype';

export interface SpdHeat {
  rows: string[];
  columns: string[];
  values: number[][];
  /** The op behind each cell (row, column), for the tooltip: rows may use another op list than the columns. */
  cellNames: string[][];
}

const EDGES = dartsEdges(SPD_STEPS);

/** "none_reduced" → "none", "BiMap_1_normal" → "BiMap_1": the list suffix is in the row label instead. */
export function spdOpLabel(op: string): string {
  return op.replace(/_(normal|reduced)$/, '');
}

function edgeLabel(index: number): string {
  const e = EDGES[index];
  return `${e.source < 2 ? dartsInputText(e.source) : `node ${e.source - 2}`}→${e.node}`;
}

export function isSpdCellType(cell: string): cell is SpdCellType {
  return cell === 'normal' || cell === 'reduce';
}

/**
 * The heat map of one cell type: rows = edges, columns = the op list most edges use; a row on the other list
 * says so in its label (a reduction cell's inner edge: "node 0→1 · normal ops").
 */
export function spdHeat(snapshot: AlphaSnapshot, cell: SpdCellType): SpdHeat | null {
  const values = snapshot.cells[cell];
  if (!values || values.length !== EDGES.length) return null;
  const lists = spdEdgeOps(cell);
  const key = (l: string[]) => l.join(',');
  const counts = new Map<string, number>();
  for (const l of lists) counts.set(key(l), (counts.get(key(l)) ?? 0) + 1);
  const main = lists.reduce((best, l) => ((counts.get(key(l)) ?? 0) > (counts.get(key(best)) ?? 0) ? l : best), lists[0]);
  return {
    rows: lists.map((l, i) => (key(l) === key(main) ? edgeLabel(i) : `${edgeLabel(i)} · ${l[0].endsWith('_reduced') ? 'reduced' : 'normal'} ops`)),
    columns: main.map(spdOpLabel),
    values,
    cellNames: lists,
  };
}

/** The SPD cell one snapshot derives to (top-2 inputs per node, never `none`), with each chosen op's weight. */
export function spdGraph(snapshot: AlphaSnapshot, cell: SpdCellType): CellGraphModel | null {
  const weights = snapshot.cells[cell];
  if (!weights || weights.length !== EDGES.length) return null;
  const genotype = deriveSpdCell(weights, cell);
  const lists = spdEdgeOps(cell);
  return dartsGraph(genotype, SPD_STEPS, (node, source, op) => {
    const e = EDGES.find((x) => x.node === node && x.source === source);
    if (!e) return undefined;
    const col = lists[e.index].indexOf(op);
    return col >= 0 ? weights[e.index]?.[col] : undefined;
  });
}

// Health of the SPD activations. ReEig floors every eigenvalue at ε (1e-4 by default), so activations stay
// positive definite by construction; what goes wrong is the spectrum collapsing onto that floor (every
// direction but a few is flattened: the SPD analogue of dead ReLUs or a NaN), or spreading past what float32
// can invert. The Karcher residual says how far one flow step is from the true Fréchet mean.

/** Condition number λ_max/λ_min past which float32 inverses lose every digit. */
export const MAX_CONDITION = 1e6;
/** λ_max this close to the ReEig floor means the whole spectrum sits on it. */
export const FLOOR_FACTOR = 10;
/** A residual above this is a Karcher step far from the mean (the reference takes one step). */
export const RESIDUAL_WARNING = 1;

export type HealthLevel = 'ok' | 'warn' | 'collapsed';

export interface SpdHealth {
  level: HealthLevel;
  eigMin: number | null;
  eigMax: number | null;
  residual: number | null;
  /** Plain-language reasons, empty when healthy. */
  reasons: string[];
}

/** The verdict on the latest values of the health metrics; `floor` is the run's ReEig ε. */
export function spdHealth(latest: { eigMin?: number; eigMax?: number; residual?: number }, floor: number): SpdHealth {
  const eigMin = latest.eigMin ?? null;
  const eigMax = latest.eigMax ?? null;
  const residual = latest.residual ?? null;
  const reasons: string[] = [];
  let level: HealthLevel = 'ok';
  const bad = (v: number | null) => v !== null && !Number.isFinite(v);
  if (bad(eigMin) || bad(eigMax) || bad(residual)) {
    reasons.push('A health value is not a number: the eigenvalues overflowed. Lower the learning rate or the batch size.');
    level = 'collapsed';
  } else if (eigMin !== null && eigMax !== null) {
    if (eigMin <= 0) {
      reasons.push(`The smallest eigenvalue is ${eigMin.toPrecision(3)}: activations are no longer positive definite.`);
      level = 'collapsed';
    } else if (eigMax <= FLOOR_FACTOR * floor) {
      reasons.push(`The whole spectrum sits on the ReEig floor (λ_max ${eigMax.toPrecision(3)}, ε ${floor}): the activations carry almost nothing. Lower the learning rate.`);
      level = 'collapsed';
    } else if (eigMax / eigMin > MAX_CONDITION) {
      reasons.push(`λ_max/λ_min is ${(eigMax / eigMin).toExponential(1)}, past ${MAX_CONDITION.toExponential(0)}: float32 inverses lose every digit. Lower the learning rate or raise the ReEig ε.`);
      level = 'warn';
    }
  }
  if (residual !== null && Number.isFinite(residual) && residual > RESIDUAL_WARNING) {
    reasons.push(`The Karcher residual is ${residual.toPrecision(3)}: one flow step is far from the Fréchet mean. Raise the Karcher steps.`);
    if (level === 'ok') level = 'warn';
  }
  return { level, eigMin, eigMax, residual, reasons };
}

/** The strategy's health metric names, as shared/strategies/spdnas.ts documents them. */
export const SPD_HEALTH_METRICS = { residual: SPDNAS_HEALTH_METRICS.karcherResidual, eigMin: SPDNAS_HEALTH_METRICS.eigMin, eigMax: SPDNAS_HEALTH_METRICS.eigMax } as const;
