import { NB201_EDGES } from './nb201';
import { SPACE_DESCRIPTORS, type SpaceName } from './registry';
import { SPD_NORMAL_OPS, SPD_STEPS } from './spd';

// How big a space's search is, in a user's words (the New-run pre-flight): its shape and how many
// architectures it holds. One entry per space: a new space adds its own.

/** The space options the size depends on, as the New-run form holds them (any may be missing or invalid). */
export interface SpaceSizeOptions {
  ops?: unknown;
  nodes?: unknown;
  blocks?: unknown;
}

export interface SearchSize {
  /** "6 edges × 5 ops" */
  shape: string;
  /** "15,625", "≈ 1.0 × 10^25" */
  size: string;
  /** Intermediate nodes per cell, for spaces of two-input cells (what SGAS's edge decisions count). */
  nodes?: number;
}

const scientific = (n: number) => `≈ ${n.toExponential(1).replace('e+', ' × 10^')}`;
const grouped = (n: number) => n.toLocaleString('en-US');

function chosenOps(name: SpaceName, options: SpaceSizeOptions): readonly string[] {
  return Array.isArray(options.ops) && options.ops.length ? (options.ops as string[]) : SPACE_DESCRIPTORS[name].ops;
}

/** DARTS-style cells: each node keeps 2 of its inputs with one non-none op each, for normal and reduction cells. */
function twoInputCells(nodes: number, ops: readonly string[]): SearchSize {
  const real = ops.filter((o) => !o.startsWith('none')).length;
  let perCell = 1;
  for (let t = 0; t < nodes; t++) perCell *= (((t + 2) * (t + 1)) / 2) * real ** 2;
  return { shape: `${(nodes * (nodes + 3)) / 2} edges × ${ops.length} ops`, size: scientific(perCell * perCell), nodes };
}

const SEARCH_SIZES: { [K in SpaceName]: (options: SpaceSizeOptions) => SearchSize } = {
  // One op per edge: 5^6 = 15,625 with every op.
  nb201: (o) => {
    const ops = chosenOps('nb201', o);
    return { shape: `${NB201_EDGES.length} edges × ${ops.length} ops`, size: grouped(ops.length ** NB201_EDGES.length) };
  },
  darts: (o) => twoInputCells(Number(o.nodes) || 4, chosenOps('darts', o)),
  // InstaNAS's meta-graph: every op of every block on or off, per image (2^(5·blocks) policies).
  mobilenet: (o) => {
    const ops = chosenOps('mobilenet', o);
    const blocks = Number(o.blocks) || 17;
    return { shape: `${blocks} blocks × ${ops.length} ops, a path per image`, size: `${scientific(2 ** (ops.length * blocks))} policies` };
  },
  // Every edge chooses among 6 ops (its normal or its reduced list); cells have 2 nodes and 5 edges.
  spd: () => twoInputCells(SPD_STEPS, SPD_NORMAL_OPS),
};

export function describeSearchSize(name: SpaceName, options: SpaceSizeOptions): SearchSize {
  return SEARCH_SIZES[name](options);
}
