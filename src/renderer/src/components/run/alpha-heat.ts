import type { AlphaEntry } from '../../stores/run';

// What a strategy's α panel supplies to the shared AlphaWeightsPanel: its edges × ops matrix at one snapshot.

/** The α snapshot a panel is drawing, with the run's space for edge labels. */
export interface AlphaView {
  snapshot: AlphaEntry;
  cellType: string;
  space: string;
}

/** One cell type's weights at one epoch: rows are edges, columns ops. */
export interface EdgesHeat {
  rows: string[];
  columns: string[];
  values: number[][];
  /** The op behind each (row, column) where an edge's ops differ from the columns (SPD reduction cells). */
  cellNames?: string[][];
  /** Abbreviate the column (op) names. */
  short?: boolean;
}

/** One edge's weights over the epochs: rows are that edge's ops, columns the epochs (1-based). */
export function edgeOverEpochs(edges: EdgesHeat, alphas: AlphaEntry[], cellType: string, edgeIndex: number): { rows: string[]; columns: string[]; values: number[][] } {
  const edge = Math.min(edgeIndex, edges.rows.length - 1);
  const ops = edges.cellNames?.[edge] ?? edges.columns;
  const values = ops.map((_, o) => alphas.map((s) => s.payload.cells[cellType]?.[edge]?.[o] ?? 0));
  return { rows: ops, columns: alphas.map((s) => String(s.epoch + 1)), values };
}
