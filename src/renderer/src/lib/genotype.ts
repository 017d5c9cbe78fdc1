// Pure rules that read the current architecture out of an α snapshot (softmax weights, rows = edges,
// columns = ops), and turn a genotype into a drawable cell graph. No Vue, no DOM: unit-testable.
import type { AlphaSnapshot } from '../../../shared/events';
import { NB201_EDGES } from '../../../shared/spaces/nb201';
import { dartsEdges, type GenotypeEntry } from '../../../shared/spaces/darts';

export const NONE_OP = 'none';

function argmax(row: readonly number[], skip?: (i: number) => boolean): number {
  let best = -1;
  let bestV = -Infinity;
  for (let i = 0; i < row.length; i++) {
    if (skip?.(i)) continue;
    if (row[i] > bestV) {
      bestV = row[i];
      best = i;
    }
  }
  return best;
}

/** NAS-Bench-201: the argmax op on each of the 6 edges; `none` counts unless allowNone is false. */
export function nb201FromAlpha(weights: readonly (readonly number[])[], ops: readonly string[], allowNone = true): string[] {
  return weights.map((row) => {
    const i = argmax(row, allowNone ? undefined : (k) => ops[k] === NONE_OP);
    return i < 0 ? NONE_OP : ops[i];
  });
}

/** Intermediate nodes of a DARTS cell with `edges` α rows: edges = n(n+3)/2. */
export function dartsStepsForEdges(edges: number): number {
  const n = Math.round((-3 + Math.sqrt(9 + 8 * edges)) / 2);
  if ((n * (n + 3)) / 2 !== edges) throw new Error(`A DARTS cell cannot have ${edges} edges.`);
  return n;
}

/**
 * DARTS (Liu et al. 2019): for each intermediate node keep the 2 incoming edges whose strongest non-none op
 * weighs most; each kept edge takes its argmax non-none op. Returns [op, input] pairs, 2 per node, where
 * input 0 = c_{k-2}, 1 = c_{k-1}, 2 + i = node i.
 */
export function dartsFromAlpha(weights: readonly (readonly number[])[], ops: readonly string[], keep = 2): GenotypeEntry[] {
  const steps = dartsStepsForEdges(weights.length);
  const isNone = (k: number) => ops[k] === NONE_OP;
  const out: GenotypeEntry[] = [];
  const edges = dartsEdges(steps);
  for (let node = 0; node < steps; node++) {
    const incoming = edges
      .filter((e) => e.node === node)
      .map((e) => {
        const row = weights[e.index];
        const best = argmax(row, isNone);
        return { source: e.source, op: best < 0 ? NONE_OP : ops[best], strength: best < 0 ? -Infinity : row[best] };
      })
      .sort((a, b) => b.strength - a.strength || a.source - b.source)
      .slice(0, keep)
      .sort((a, b) => a.source - b.source);
    for (const e of incoming) out.push([e.op, e.source]);
  }
  return out;
}

export interface GraphNode {
  id: string;
  label: string;
  kind: 'input' | 'node' | 'output';
}
export interface GraphEdge {
  from: string;
  to: string;
  /** null for the unlabelled concat edges into a DARTS cell's output. */
  op: string | null;
  /** Weight of the chosen op (softmax), when known. */
  weight?: number;
}
export interface CellGraphModel {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function nb201Graph(ops: readonly string[], weights?: readonly (readonly number[])[], opNames?: readonly string[]): CellGraphModel {
  const nodes: GraphNode[] = [0, 1, 2, 3].map((i) => ({
    id: `n${i}`,
    label: String(i),
    kind: i === 0 ? 'input' : i === 3 ? 'output' : 'node',
  }));
  const edges: GraphEdge[] = NB201_EDGES.map(([from, to], k) => {
    const op = ops[k] ?? NONE_OP;
    const col = opNames ? opNames.indexOf(op) : -1;
    return { from: `n${from}`, to: `n${to}`, op, weight: weights && col >= 0 ? weights[k]?.[col] : undefined };
  });
  return { nodes, edges };
}

export function dartsGraph(genotype: readonly GenotypeEntry[], steps: number, weightOf?: (node: number, source: number, op: string) => number | undefined): CellGraphModel {
  const nodes: GraphNode[] = [
    { id: 's0', label: 'c_{k-2}', kind: 'input' },
    { id: 's1', label: 'c_{k-1}', kind: 'input' },
  ];
  for (let i = 0; i < steps; i++) nodes.push({ id: `n${i}`, label: String(i), kind: 'node' });
  nodes.push({ id: 'out', label: 'c_{k}', kind: 'output' });
  const stateId = (s: number) => (s < 2 ? `s${s}` : `n${s - 2}`);
  const edges: GraphEdge[] = [];
  const perNode = steps > 0 ? Math.max(1, Math.round(genotype.length / steps)) : 2;
  genotype.forEach(([op, input], i) => {
    const node = Math.floor(i / perNode);
    edges.push({ from: stateId(input), to: `n${node}`, op, weight: weightOf?.(node, input, op) });
  });
  for (let i = 0; i < steps; i++) edges.push({ from: `n${i}`, to: 'out', op: null });
  return { nodes, edges };
}

/** The cell keys of a snapshot in display order: nb201 `cell`, darts `normal` then `reduce`. */
export function cellKeys(snapshot: AlphaSnapshot): string[] {
  const order = ['cell', 'normal', 'reduce'];
  return Object.keys(snapshot.cells).sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
}

/** The drawable cell for one cell type of an α snapshot, by the space's discretisation rule. */
export function graphFromAlpha(space: string, snapshot: AlphaSnapshot, cell: string, allowNone = true): CellGraphModel | null {
  const weights = snapshot.cells[cell];
  if (!weights || weights.length === 0) return null;
  if (space === 'nb201') {
    return nb201Graph(nb201FromAlpha(weights, snapshot.ops, allowNone), weights, snapshot.ops);
  }
  const steps = dartsStepsForEdges(weights.length);
  const geno = dartsFromAlpha(weights, snapshot.ops);
  return dartsGraph(geno, steps, (node, source, op) => {
    const row = weights[(node * (node + 3)) / 2 + source];
    const col = snapshot.ops.indexOf(op);
    return row && col >= 0 ? row[col] : undefined;
  });
}

/** Edge labels in α-row order, for heat-map axes. */
export function edgeLabels(space: string, edgeCount: number): string[] {
  if (space === 'nb201') return NB201_EDGES.slice(0, edgeCount).map(([f, t]) => `${f}→${t}`);
  try {
    const steps = dartsStepsForEdges(edgeCount);
    const name = (s: number) => (s === 0 ? 'c₋₂' : s === 1 ? 'c₋₁' : String(s - 2));
    return dartsEdges(steps).map((e) => `${name(e.source)}→${e.node}`);
  } catch {
    return Array.from({ length: edgeCount }, (_, i) => `e${i}`);
  }
}

/** Runtime check that an unknown payload is an AlphaSnapshot. */
export function isAlphaSnapshot(x: unknown): x is AlphaSnapshot {
  if (!x || typeof x !== 'object') return false;
  const s = x as AlphaSnapshot;
  return (
    Array.isArray(s.ops) &&
    !!s.cells &&
    typeof s.cells === 'object' &&
    Object.values(s.cells).every((m) => Array.isArray(m) && m.every((r) => Array.isArray(r)))
  );
}
