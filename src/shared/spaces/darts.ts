// DARTS CNN cell space (ALGORITHMS.md §1.1): 4 intermediate nodes, node t takes one edge from each of the
// 2 + t earlier states, so 14 edges; output = concat of the 4 nodes.
export const DARTS_OPS = [
  'none',
  'max_pool_3x3',
  'avg_pool_3x3',
  'skip_connect',
  'sep_conv_3x3',
  'sep_conv_5x5',
  'dil_conv_3x3',
  'dil_conv_5x5',
] as const;
export type DartsOp = (typeof DARTS_OPS)[number];

export const DARTS_STEPS = 4;
export const DARTS_MULTIPLIER = 4;

export interface DartsEdge {
  index: number;
  node: number; // 0..steps-1 (state node + 2)
  source: number; // state index: 0 = s0, 1 = s1, 2 = node0, …
}

/** Flat edge list in node order: node0 gets edges 0–1, node1 2–4, node2 5–8, node3 9–13. */
export function dartsEdges(steps = DARTS_STEPS): DartsEdge[] {
  const edges: DartsEdge[] = [];
  for (let node = 0; node < steps; node++) {
    for (let source = 0; source < node + 2; source++) edges.push({ index: edges.length, node, source });
  }
  return edges;
}

/** Intermediate nodes of a cell with `edges` edges (edges = n(n+3)/2). */
export function dartsStepsForEdgeCount(edges: number): number {
  const n = Math.round((-3 + Math.sqrt(9 + 8 * edges)) / 2);
  if ((n * (n + 3)) / 2 !== edges) throw new Error(`A DARTS cell cannot have ${edges} edges.`);
  return n;
}

export function dartsEdgeIndex(node: number, source: number): number {
  if (source < 0 || source >= node + 2) throw new Error(`Node ${node} has no input from state ${source}.`);
  // edges before node n: Σ_{t<n} (t + 2) = n(n+3)/2
  return (node * (node + 3)) / 2 + source;
}

export type GenotypeEntry = [op: string, input: number];

export interface DartsGenotype {
  normal: GenotypeEntry[];
  normalConcat: number[];
  reduce: GenotypeEntry[];
  reduceConcat: number[];
}

/**
 * Cells at ⌊L/3⌋ and ⌊2L/3⌋ are reduction cells, as in DARTS's `i in [L//3, 2*L//3]`: for L = 1 that is
 * cell 0, for L = 2 cells 0 and 1, so even the smallest network downsamples.
 */
export function isReductionCell(position: number, layers: number): boolean {
  return position === Math.floor(layers / 3) || position === Math.floor((2 * layers) / 3);
}
