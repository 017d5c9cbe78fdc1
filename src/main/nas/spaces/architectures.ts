import type { SpaceConfig, SpaceName } from '../../../shared/config';
import type { Nb201Score } from '../../../shared/events';
import { deriveDartsCell, deriveNb201Ops } from '../../../shared/genotype';
import { dartsEdges, type DartsGenotype, type GenotypeEntry } from '../../../shared/spaces/darts';
import { NB201_EDGES, formatNb201Arch, type Nb201Genotype } from '../../../shared/spaces/nb201';
import { spdArchitecture } from './spd-architecture';
import { Nb201Table, toNb201Score } from '../estimation/nb201-table';
import { mobilenetArchitecture } from './mobilenet-architecture';

// Each search space's discrete architectures, by name: the shape of its cells (for strategies that decide or
// sample edge by edge), and how an architecture is read off weights or a selection and scored. No tfjs here,
// so a dry run on the table loads none; registry.ts adds the supernet builders.

/** What an edge-deciding strategy (SGAS) needs to know about one cell type. */
export interface CellTopology {
  /** The node each edge (α row) enters. */
  edgeNodes: number[];
  /** The node each edge leaves (a state index: DARTS 0 = s0, 1 = s1, 2 = node 0…; NB201 node number). */
  edgeSources: number[];
  /** Inputs a node keeps (DARTS: 2, pruning the rest); null when every edge stays (NAS-Bench-201). */
  maxInDegree: number | null;
  /** A readable name per edge for logs and the decision timeline. */
  edgeLabels: string[];
}

/** Op column per edge for each cell type: k ≥ 0 a fixed op, null a pruned edge. */
export type EdgeSelection = Record<string, ReadonlyArray<number | null>>;

export interface SearchResultArchitecture {
  genotype: unknown;
  arch: string | null;
  nb201: Nb201Score | null;
}

export interface SpaceArchitecture<S extends SpaceConfig = SpaceConfig> {
  topology(space: S): CellTopology;
  /** The discrete architecture from architecture weights (the DARTS rule of the space). */
  fromWeights(space: S, weights: Record<string, number[][]>, ops: readonly string[]): SearchResultArchitecture;
  /** The architecture a strategy decided edge by edge. */
  fromSelection(space: S, selection: EdgeSelection, ops: readonly string[]): SearchResultArchitecture;
  /** The ops of a genotype's main cell (NB201: the cell; DARTS: the normal cell), for collapse signals. */
  cellOps(genotype: unknown): string[];
  /** The benchmark score of a main cell's ops, where the space has a table (NAS-Bench-201); else null. */
  scoreCell(cellOps: readonly string[]): Nb201Score | null;
}

function nb201Result(genotype: Nb201Genotype | string[]): SearchResultArchitecture {
  const arch = formatNb201Arch(genotype as Nb201Genotype);
  return { genotype, arch, nb201: toNb201Score(Nb201Table.current().lookup(arch)) };
}

const nb201: SpaceArchitecture<Extract<SpaceConfig, { name: 'nb201' }>> = {
  topology: () => ({
    edgeNodes: NB201_EDGES.map(([, to]) => to),
    edgeSources: NB201_EDGES.map(([from]) => from),
    maxInDegree: null,
    edgeLabels: NB201_EDGES.map(([from, to]) => `${from}→${to}`),
  }),
  fromWeights: (space, weights, ops) => nb201Result(deriveNb201Ops(weights.cell, ops, space.allowNone)),
  fromSelection: (_space, selection, ops) => {
    const cell = selection.cell;
    if (cell.some((k) => k === null)) throw new Error('A NAS-Bench-201 cell keeps every edge: none may be pruned.');
    return nb201Result(cell.map((k) => ops[k as number]));
  },
  cellOps: (genotype) => [...(genotype as string[])],
  scoreCell: (cellOps) => nb201Result([...cellOps]).nb201,
};

function dartsCellFromSelection(selected: ReadonlyArray<number | null>, ops: readonly string[], steps: number): GenotypeEntry[] {
  const edges = dartsEdges(steps);
  return edges.flatMap((e) => {
    const k = selected[e.index];
    return k === null || k === undefined || k < 0 ? [] : [[ops[k], e.source] as GenotypeEntry];
  });
}

const darts: SpaceArchitecture<Extract<SpaceConfig, { name: 'darts' }>> = {
  topology: (space) => {
    const edges = dartsEdges(space.nodes);
    const state = (s: number) => (s < 2 ? ['cₖ₋₂', 'cₖ₋₁'][s] : `node ${s - 2}`);
    return {
      edgeNodes: edges.map((e) => e.node),
      edgeSources: edges.map((e) => e.source),
      maxInDegree: 2,
      edgeLabels: edges.map((e) => `${state(e.source)} → node ${e.node}`),
    };
  },
  fromWeights: (space, weights, ops) => {
    // A network of L ≤ 2 cells has only reduction cells: its genotype has no normal cell to report.
    const cell = (w: number[][] | undefined) => (w ? deriveDartsCell(w, ops, space.nodes) : []);
    const concat = Array.from({ length: space.nodes }, (_, i) => i + 2);
    const genotype: DartsGenotype = { normal: cell(weights.normal), normalConcat: concat, reduce: cell(weights.reduce), reduceConcat: [...concat] };
    return { genotype, arch: null, nb201: null };
  },
  fromSelection: (space, selection, ops) => {
    const concat = Array.from({ length: space.nodes }, (_, i) => i + 2);
    const cell = (s: ReadonlyArray<number | null> | undefined) => (s ? dartsCellFromSelection(s, ops, space.nodes) : []);
    const normal = cell(selection.normal);
    const reduce = cell(selection.reduce);
    const genotype: DartsGenotype = { normal, normalConcat: concat, reduce, reduceConcat: [...concat] };
    return { genotype, arch: null, nb201: null };
  },
  cellOps: (genotype) => {
    const g = genotype as DartsGenotype;
    return (g.normal.length ? g.normal : g.reduce).map(([op]) => op);
  },
  scoreCell: () => null,
};

export const SPACE_ARCHITECTURES: { [N in SpaceName]: SpaceArchitecture<Extract<SpaceConfig, { name: N }>> } = {
  nb201,
  darts,
  mobilenet: mobilenetArchitecture,
  spd: spdArchitecture,
};

/** The architecture side of `space.name`, typed for the caller's config. */
export function spaceArchitecture(space: SpaceConfig): SpaceArchitecture {
  return SPACE_ARCHITECTURES[space.name] as SpaceArchitecture;
}
