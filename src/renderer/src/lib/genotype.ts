// Pure rules that read the current architecture out of an α snapshot (softmax weights, rows = edges,
// columns = ops), and turn a genotype into a drawable cell graph. No Vue, no DOM: unit-testable.
import type { AlphaSnapshot } from '../../../shared/events';
import { NB201_EDGES } from '../../../shared/spaces/nb201';
import { deriveDartsCell, deriveNb201Ops } from '../../../shared/genotype';
import { dartsEdges, dartsStepsForEdgeCount, type GenotypeEntry } from '../../../shared/spaces/darts';

export const NONE_OP = 'none';

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
  /** Not decided yet (SGAS): the current best candidate, drawn dashed. */
  pending?: boolean;
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
    return nb201Graph(deriveNb201Ops(weights, snapshot.ops, allowNone), weights, snapshot.ops);
  }
  const steps = dartsStepsForEdgeCount(weights.length);
  const geno = deriveDartsCell(weights, snapshot.ops, steps);
  return dartsGraph(geno, steps, (node, source, op) => {
    const row = weights[(node * (node + 3)) / 2 + source];
    const col = snapshot.ops.indexOf(op);
    return row && col >= 0 ? row[col] : undefined;
  });
}

/** A DARTS cell input as plain text, written like the cell graph's subscripted c_{k-2}, c_{k-1}. */
export function dartsInputText(source: number): string {
  return source === 0 ? 'cₖ₋₂' : source === 1 ? 'cₖ₋₁' : `node ${source - 2}`;
}

/** An edge label written by the trainer ("c_{k-2} → node 1") with the inputs as the rest of the view writes them. */
export function prettyEdgeLabel(label: string): string {
  return label.replace(/c_\{k-2\}/g, dartsInputText(0)).replace(/c_\{k-1\}/g, dartsInputText(1));
}

/** Edge labels in α-row order, for heat-map axes. */
export function edgeLabels(space: string, edgeCount: number): string[] {
  if (space === 'nb201') return NB201_EDGES.slice(0, edgeCount).map(([f, t]) => `${f}→${t}`);
  try {
    const steps = dartsStepsForEdgeCount(edgeCount);
    const name = (s: number) => (s < 2 ? dartsInputText(s) : String(s - 2));
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
