// The found cells of compared runs as edge lists, and when two cells are the same computation. Pure: no Vue.
import type { ComparedRun } from '../../../../shared/api';
import { SPACE_DESCRIPTORS } from '../../../../shared/spaces/registry';
import { NB201_EDGES, parseNb201Arch } from '../../../../shared/spaces/nb201';
import { canonicalNb201Key } from '../../../../shared/nb201-canonical';
import { dartsGraph, graphFromAlpha, nb201Graph, NONE_OP, type CellGraphModel } from '../genotype';
import type { GenotypeEntry } from '../../../../shared/spaces/darts';
import { SPD_STEPS, deriveSpdCell, type SpdCellType } from '../../../../shared/spaces/spd';

/** One operation edge of a cell (`none` edges and a DARTS cell's concat edges left out). */
export interface ArchEdge {
  from: string;
  to: string;
  op: string;
}
export interface CellArch {
  /** Drawable graph of the cell (node ids shared by every cell of the space). */
  model: CellGraphModel;
  edges: ArchEdge[];
  /** 'result': the run's final architecture; 'snapshot': discretised from its latest α / probabilities. */
  source: 'result' | 'snapshot';
}

/** The cell types of a space (registry), e.g. ['cell'] or ['normal', 'reduce']. */
export function cellTypesOf(space: string): string[] {
  const d = (SPACE_DESCRIPTORS as Record<string, { cellTypes: readonly string[] }>)[space];
  return d ? [...d.cellTypes] : [];
}

function toArch(model: CellGraphModel, source: CellArch['source']): CellArch {
  const edges = model.edges.filter((e) => e.op !== null && e.op !== NONE_OP).map((e) => ({ from: e.from, to: e.to, op: e.op! }));
  return { model, edges, source };
}

function isGenotypeEntries(x: unknown): x is GenotypeEntry[] {
  return Array.isArray(x) && x.every((e) => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number');
}

/**
 * An SPDNetNAS run's cell: its genotype (a search's result, or the cell a retrain trained), else its latest
 * sparsemax(α) snapshot derived by the SPD rule (each edge picks from its own op list, so a reduction cell's
 * inner edge names normal ops). A network without this cell type (one cell only, or the SPDNet baseline) has none.
 */
function spdCellOf(run: ComparedRun, cellType: string): CellArch | null {
  if (cellType !== 'normal' && cellType !== 'reduce') return null;
  const g = run.detail.genotype as Record<string, unknown> | null;
  if (g && isGenotypeEntries(g[cellType])) return g[cellType].length ? toArch(dartsGraph(g[cellType], SPD_STEPS), 'result') : null;
  const weights = run.architecture?.cells[cellType];
  if (!weights?.length) return null;
  return toArch(dartsGraph(deriveSpdCell(weights, cellType as SpdCellType), SPD_STEPS), 'snapshot');
}

/** Why a run shows no cell where that is not just "not yet": a hand-designed baseline has none. */
export function noCellText(run: ComparedRun): string {
  const d = run.detail;
  if (d.config.space.name === 'spd' && d.arch && !d.genotype) return `${d.arch}: hand-designed, no searched cell`;
  return 'No cell';
}

/** The run's cell of one type: its final result where it has one, else its latest weight snapshot discretised. */
export function cellOf(run: ComparedRun, cellType: string): CellArch | null {
  const d = run.detail;
  const space = d.config.space;
  try {
    if (space.name === 'spd') return spdCellOf(run, cellType);
    if (space.name === 'nb201' && d.arch) return toArch(nb201Graph(parseNb201Arch(d.arch)), 'result');
    const g = d.genotype as Record<string, unknown> | null;
    if (space.name === 'darts' && g && isGenotypeEntries(g[cellType])) return toArch(dartsGraph(g[cellType], space.nodes), 'result');
    const a = run.architecture;
    if (a && a.cells[cellType]) {
      const allowNone = space.name === 'nb201' ? space.allowNone : true;
      const model = graphFromAlpha(space.name, { ops: a.ops, cells: a.cells }, cellType, allowNone);
      return model ? toArch(model, 'snapshot') : null;
    }
  } catch {
    return null; // a malformed stored result draws as "no cell" rather than breaking the view
  }
  return null;
}

/** NAS-Bench-201 ops in edge order (absent edge = none). */
function nb201Ops(cell: CellArch): string[] {
  return NB201_EDGES.map(([i, j]) => cell.edges.find((e) => e.from === `n${i}` && e.to === `n${j}`)?.op ?? NONE_OP);
}

/** Per target node, its incoming (source, op) pairs sorted: DARTS's node inputs are a set, not a sequence. */
function inputsByNode(cell: CellArch): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const e of cell.edges) {
    const list = m.get(e.to) ?? [];
    list.push(`${e.from}:${e.op}`);
    m.set(e.to, list);
  }
  for (const list of m.values()) list.sort();
  return m;
}

/**
 * A key equal for cells that are the same computation: NAS-Bench-201's canonical form (isomorphic cells, dead
 * edges), elsewhere each node's inputs as a set (a genotype's input order does not matter).
 */
export function equivalenceKey(space: string, cell: CellArch): string {
  if (space === 'nb201') return canonicalNb201Key(nb201Ops(cell));
  return [...inputsByNode(cell).entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([node, ins]) => `${node}<${ins.join(',')}`)
    .join('|');
}

/**
 * Edge edits that turn cell a into cell b: NAS-Bench-201 counts edges whose op differs; elsewhere, per node,
 * the inputs of a that b lacks (changing an op or moving an input is one edit).
 */
export function editDistance(space: string, a: CellArch, b: CellArch): number {
  if (space === 'nb201') {
    const oa = nb201Ops(a);
    const ob = nb201Ops(b);
    return oa.filter((op, i) => op !== ob[i]).length;
  }
  const ia = inputsByNode(a);
  const ib = inputsByNode(b);
  let edits = 0;
  for (const node of new Set([...ia.keys(), ...ib.keys()])) {
    const rest = [...(ib.get(node) ?? [])];
    let unmatched = 0;
    for (const x of ia.get(node) ?? []) {
      const k = rest.indexOf(x);
      if (k >= 0) rest.splice(k, 1);
      else unmatched++;
    }
    edits += Math.max(unmatched, rest.length);
  }
  return edits;
}

export function sameArchitecture(space: string, a: CellArch, b: CellArch): boolean {
  return equivalenceKey(space, a) === equivalenceKey(space, b);
}
