import { z } from 'zod';
import { deriveDartsCell } from '../genotype';
import { dartsEdges, type DartsGenotype, type GenotypeEntry } from './darts';

// SPD cell space of SPDNetNAS (ALGORITHMS.md §1.4): inputs are SPD matrices ([batch, channels, n, n]); cells
// have 2 intermediate nodes and 5 edges (node 0 ← c_{k-2}, c_{k-1}; node 1 ← c_{k-2}, c_{k-1}, node 0), the
// mixed op is a weighted Fréchet mean over sparsemax(α), a node the unweighted Fréchet mean of its inputs.
//
// Normal and reduction edges have their own op lists (6 each, `none` first in both). In a reduction cell only
// the edges leaving the cell's inputs reduce (n → ⌊n/2⌋); the edge node 0 → node 1 is a normal edge. So the
// op names of an α row depend on the cell type and the edge: `spdEdgeOps` gives them. The run's α snapshot
// carries them as `edgeOps` (cell type → one op list per α row) next to the usual `ops` (the normal list).

export const SPD_NORMAL_OPS = ['none_normal', 'WeightedPooling_normal', 'BiMap_0_normal', 'BiMap_1_normal', 'BiMap_2_normal', 'Skip_normal'] as const;
export const SPD_REDUCED_OPS = ['none_reduced', 'AvgPooling2_reduced', 'MaxPooling_reduced', 'BiMap_1_reduced', 'BiMap_2_reduced', 'Skip_reduced'] as const;
export type SpdOp = (typeof SPD_NORMAL_OPS)[number] | (typeof SPD_REDUCED_OPS)[number];

/** Intermediate nodes per SPD cell (the reference's `steps = 2`), hence 5 edges. */
export const SPD_STEPS = 2;
export type SpdCellType = 'normal' | 'reduce';

export const SpdSpaceSchema = z
  .object({
    name: z.literal('spd'),
    channels: z.number().int().min(1).max(8).default(1).describe('SPD channels C per cell node (the reference uses 1).'),
    cells: z.number().int().min(1).max(6).default(2).describe('Cells; even positions (0, 2, …) are reduction cells that halve the matrix size.'),
    matrixSize: z
      .number()
      .int()
      .min(0)
      .max(512)
      .default(0)
      .describe('Matrix size after the stem BiMap (HDM05: 93 → 30); 0 keeps the input size (RADAR: 20).'),
    karcherSteps: z.number().int().min(1).max(5).default(1).describe('Karcher-flow steps of every Fréchet mean (the reference takes 1).'),
    reEigEps: z.number().gt(0).max(1).default(1e-4).describe('ReEig floor ε: eigenvalues below it are lifted to it.'),
  })
  .strict();
export type SpdSpaceConfig = z.output<typeof SpdSpaceSchema>;

/** Whether cell `position` is a reduction cell: cells 0, 2, 4, … (RADAR's two cells: reduce, then normal). */
export function isSpdReductionCell(position: number): boolean {
  return position % 2 === 0;
}

/** The op list of every α row (edge) of a cell type. */
export function spdEdgeOps(cellType: SpdCellType): string[][] {
  return dartsEdges(SPD_STEPS).map((e) => [...(cellType === 'reduce' && e.source < 2 ? SPD_REDUCED_OPS : SPD_NORMAL_OPS)]);
}

/** Neutral column names for the shared DARTS rule: `none` first, as in both SPD op lists. */
const COLUMNS = ['none', 'op1', 'op2', 'op3', 'op4', 'op5'];

/**
 * DARTS derivation (§7.3) on sparsemax(α) of one cell type: each node keeps its 2 strongest inputs, each with
 * its strongest op, never `none`; op names from the edge's own list.
 */
export function deriveSpdCell(weights: readonly (readonly number[])[], cellType: SpdCellType): GenotypeEntry[] {
  const edgeOps = spdEdgeOps(cellType);
  const entries = deriveDartsCell(weights, COLUMNS, SPD_STEPS);
  const edges = dartsEdges(SPD_STEPS);
  const perNode = 2;
  return entries.map(([column, source], i) => {
    const node = Math.floor(i / perNode);
    const edge = edges.find((e) => e.node === node && e.source === source)!;
    return [edgeOps[edge.index][COLUMNS.indexOf(column)], source];
  });
}

/** The SPD genotype (DARTS-shaped, SPD op names): empty lists for a cell type the network does not have. */
export function deriveSpdGenotype(weights: Record<string, number[][]>): DartsGenotype {
  const concat = Array.from({ length: SPD_STEPS }, (_, i) => i + 2);
  const cell = (type: SpdCellType) => (weights[type] ? deriveSpdCell(weights[type], type) : []);
  return { normal: cell('normal'), normalConcat: concat, reduce: cell('reduce'), reduceConcat: [...concat] };
}
