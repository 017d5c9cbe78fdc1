// One merged graph per cell type: every edge position (source → target) any run uses, with how runs A and B
// (and the rest) differ on it. Pure: the merged-graph component draws what this returns.
import type { GraphNode } from '../genotype';
import type { CellArch } from './cells';

/**
 * same: every run has this edge with this op. op-differs: A and B both have the edge, with different ops.
 * only-a / only-b: one of the two has it. ab-only: A and B agree but some other run differs. others: only
 * runs other than A and B have it.
 */
export type EdgeDiff = 'same' | 'op-differs' | 'only-a' | 'only-b' | 'ab-only' | 'others';

export interface MergedEdge {
  key: string;
  from: string;
  to: string;
  /** Op per compared run (index as given), null where the run's cell lacks the edge or is unknown. */
  ops: (string | null)[];
  diff: EdgeDiff;
  /** Text on the edge: the op, or "A-op ≠ B-op". */
  label: string;
}

export interface MergedCell {
  nodes: GraphNode[];
  edges: MergedEdge[];
  /** Concat edges into the cell output (DARTS), drawn faint. */
  structural: { from: string; to: string }[];
}

/** Edge position keys whose diff is not 'same' between the runs at `a` and `b`. */
export function differingKeys(merged: MergedCell): string[] {
  return merged.edges.filter((e) => e.diff !== 'same' && e.diff !== 'ab-only' && e.diff !== 'others').map((e) => e.key);
}

export function mergeCells(cells: readonly (CellArch | null)[], a: number, b: number): MergedCell | null {
  const present = cells.filter((c): c is CellArch => c !== null);
  if (present.length === 0) return null;
  const nodes = new Map<string, GraphNode>();
  const structural = new Map<string, { from: string; to: string }>();
  for (const c of present) {
    for (const n of c.model.nodes) if (!nodes.has(n.id)) nodes.set(n.id, n);
    for (const e of c.model.edges) if (e.op === null) structural.set(`${e.from}>${e.to}`, { from: e.from, to: e.to });
  }
  const positions = new Map<string, { from: string; to: string }>();
  for (const c of present) for (const e of c.edges) positions.set(`${e.from}>${e.to}`, { from: e.from, to: e.to });

  const edges: MergedEdge[] = [...positions.entries()].map(([key, { from, to }]) => {
    const ops = cells.map((c) => {
      if (!c) return null;
      const found = c.edges.filter((e) => e.from === from && e.to === to).map((e) => e.op);
      return found.length ? found.sort().join('+') : null;
    });
    const diff = classify(ops, cells.map((c) => c !== null), a, b);
    const opA = ops[a];
    const opB = ops[b];
    const label = diff === 'op-differs' ? `${opA} ≠ ${opB}` : (opA ?? opB ?? ops.find((o) => o !== null) ?? '');
    return { key, from, to, ops, diff, label };
  });
  edges.sort((x, y) => x.to.localeCompare(y.to) || x.from.localeCompare(y.from));
  return { nodes: [...nodes.values()], edges, structural: [...structural.values()] };
}

/** `known[i]`: run i has a cell at all (a run without one neither agrees nor disagrees). */
function classify(ops: readonly (string | null)[], known: readonly boolean[], a: number, b: number): EdgeDiff {
  const opsKnown = ops.filter((_, i) => known[i]);
  if (opsKnown.every((o) => o !== null && o === opsKnown[0])) return 'same';
  const opA = ops[a] ?? null;
  const opB = ops[b] ?? null;
  if (opA !== null && opB !== null) return opA === opB ? 'ab-only' : 'op-differs';
  if (opA !== null) return 'only-a';
  if (opB !== null) return 'only-b';
  return 'others';
}
