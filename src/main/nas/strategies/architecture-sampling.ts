import type { Rng } from '../engine/rng';
import type { CellTopology, EdgeSelection } from '../spaces/registry';

// Discrete architectures as edge selections (op column per edge; null = the edge is not in the cell), drawn
// uniformly from a space and mutated one change at a time: what random search and regularised evolution need.
// Generic over the space's topology: a space whose nodes keep every edge (NAS-Bench-201) picks an op per edge;
// a space whose nodes keep `maxInDegree` inputs (DARTS: 2) picks the inputs first, then an op for each.

export interface SamplingSpace {
  topology: CellTopology;
  /** Op names, in the supernet's column order. */
  ops: readonly string[];
  /** Cell types whose architecture is searched (the supernet's α keys). */
  cellTypes: readonly string[];
}

/** Columns an edge may take: every op where each edge stays (none is how NB201 drops an edge), else all but none. */
function opChoices(space: SamplingSpace): number[] {
  const all = space.ops.map((_, k) => k);
  if (space.topology.maxInDegree === null) return all;
  const real = all.filter((k) => space.ops[k] !== 'none');
  if (real.length === 0) throw new Error('The space has no op other than none to sample.');
  return real;
}

/** Incoming edges of each node, in edge order. */
function edgesByNode(topology: CellTopology): Map<number, number[]> {
  const byNode = new Map<number, number[]>();
  topology.edgeNodes.forEach((node, e) => byNode.set(node, [...(byNode.get(node) ?? []), e]));
  return byNode;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

/** k distinct items, uniformly (partial Fisher–Yates). */
function pickDistinct<T>(rng: Rng, items: readonly T[], k: number): T[] {
  const pool = [...items];
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k);
}

function randomCell(space: SamplingSpace, rng: Rng): Array<number | null> {
  const choices = opChoices(space);
  const { topology } = space;
  const degree = topology.maxInDegree;
  if (degree === null) return topology.edgeNodes.map(() => pick(rng, choices));
  const cell: Array<number | null> = topology.edgeNodes.map(() => null);
  for (const edges of edgesByNode(topology).values()) {
    for (const e of pickDistinct(rng, edges, Math.min(degree, edges.length))) cell[e] = pick(rng, choices);
  }
  return cell;
}

/** An architecture drawn uniformly from the space (every cell type independently). */
export function randomArchitecture(space: SamplingSpace, rng: Rng): EdgeSelection {
  return Object.fromEntries(space.cellTypes.map((key) => [key, randomCell(space, rng)]));
}

/**
 * One mutation (Real et al. 2019): in one cell type, either one edge's op changes to another, or (in a space
 * whose nodes keep a fixed number of inputs) one input of one node moves to another source, keeping its op.
 * The child always differs from the parent when the space allows any change.
 */
export function mutateArchitecture(space: SamplingSpace, parent: EdgeSelection, rng: Rng): EdgeSelection {
  const child: Record<string, Array<number | null>> = Object.fromEntries(Object.entries(parent).map(([k, v]) => [k, [...v]]));
  const key = pick(rng, space.cellTypes);
  const cell = child[key];
  const choices = opChoices(space);
  const active = cell.flatMap((k, e) => (k === null ? [] : [e]));
  const canChangeOp = choices.length > 1 && active.length > 0;
  const movable = space.topology.maxInDegree === null ? [] : movableInputs(space.topology, cell);
  const changeInput = movable.length > 0 && (!canChangeOp || rng.next() < 0.5);
  if (changeInput) {
    const { from, to } = pick(rng, movable.flatMap((m) => m.targets.map((to) => ({ from: m.edge, to }))));
    cell[to] = cell[from];
    cell[from] = null;
  } else if (canChangeOp) {
    const e = pick(rng, active);
    cell[e] = pick(
      rng,
      choices.filter((k) => k !== cell[e]),
    );
  }
  return child;
}

/** For each chosen input edge, the unchosen edges into the same node it could move to. */
function movableInputs(topology: CellTopology, cell: ReadonlyArray<number | null>): Array<{ edge: number; targets: number[] }> {
  const out: Array<{ edge: number; targets: number[] }> = [];
  for (const edges of edgesByNode(topology).values()) {
    const free = edges.filter((e) => cell[e] === null);
    if (free.length === 0) continue;
    for (const e of edges) if (cell[e] !== null) out.push({ edge: e, targets: free });
  }
  return out;
}

/** A stable key of an architecture (same selection, same key). */
export function architectureKey(selection: EdgeSelection): string {
  return JSON.stringify(Object.keys(selection).sort().map((k) => [k, selection[k]]));
}
