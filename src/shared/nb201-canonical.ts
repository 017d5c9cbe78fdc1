// NAS-Bench-201 canonical forms: which arch strings denote the same computation (issue 8, item 4).
//
// A cell computes node 3 from node 0 = x, with node j = Σ_{i<j} op_{i→j}(node i) (ALGORITHMS.md §1.2). Two
// cells are the same computation when their node-3 expressions agree once we use that
//   - `none` contributes nothing, and so does any op applied to a node that is zero (no live input);
//   - `skip_connect` is the identity;
//   - the sum is commutative and associative.
// The key is node 3's expression in that normal form (flattened, sorted sums), as NAS-Bench-201's own
// `Structure.to_unique_str(consider_zero=True)` does, minus its quirk of keeping zero terms in sums. Edges off
// every live 0→3 path (a dead source, or a target that never reaches node 3) therefore drop out of the key.
import {
  NB201_EDGES,
  NB201_NODES,
  NB201_OPS,
  NB201_SPACE_SIZE,
  formatNb201Arch,
  parseNb201Arch,
  type Nb201Op,
} from './spaces/nb201';

/** The key of every cell whose output is constant zero (node 3 has no live input). */
export const NB201_ZERO_KEY = 'zero';

/** Edge index (α row) of i→j, or -1. */
const EDGE_OF: number[][] = Array.from({ length: NB201_NODES }, (_, i) =>
  Array.from({ length: NB201_NODES }, (_, j) => NB201_EDGES.findIndex(([a, b]) => a === i && b === j)),
);

/** Arch string or op vector → validated op vector. */
function opsOf(cell: string | readonly string[]): Nb201Op[] {
  return parseNb201Arch(typeof cell === 'string' ? cell : formatNb201Arch(cell));
}

/** Sorted terms of each node's sum; [] = the node is zero. Node 0 is the input. */
function nodeTerms(ops: readonly Nb201Op[]): string[][] {
  const terms: string[][] = [['in']];
  for (let j = 1; j < NB201_NODES; j++) {
    const sum: string[] = [];
    for (let i = 0; i < j; i++) {
      const op = ops[EDGE_OF[i][j]];
      const src = terms[i];
      if (op === 'none' || src.length === 0) continue;
      if (op === 'skip_connect') sum.push(...src); // identity: the source's terms join this sum
      else sum.push(`${op}(${src.join('+')})`);
    }
    terms.push(sum.sort());
  }
  return terms;
}

/**
 * The computation a cell performs, as a string: equal keys ⇔ the same computation (isomorphic cells).
 * 'zero' when the output has no live input. Accepts an arch string (any valid spelling) or 6 ops in edge order.
 */
export function canonicalNb201Key(cell: string | readonly string[]): string {
  const out = nodeTerms(opsOf(cell))[NB201_NODES - 1];
  return out.length === 0 ? NB201_ZERO_KEY : out.join('+');
}

/**
 * Which edges matter: those on some 0→3 path of non-`none` edges. Any other edge can be set to `none`
 * without changing the computation.
 */
export function liveNb201Edges(cell: string | readonly string[]): boolean[] {
  const ops = opsOf(cell);
  const on = (e: number) => ops[e] !== 'none';
  const fromInput = [true, false, false, false];
  for (let j = 1; j < NB201_NODES; j++) {
    for (let i = 0; i < j; i++) if (fromInput[i] && on(EDGE_OF[i][j])) fromInput[j] = true;
  }
  const toOutput = [false, false, false, true];
  for (let i = NB201_NODES - 2; i >= 0; i--) {
    for (let j = i + 1; j < NB201_NODES; j++) if (toOutput[j] && on(EDGE_OF[i][j])) toOutput[i] = true;
  }
  return NB201_EDGES.map(([i, j], e) => on(e) && fromInput[i] && toOutput[j]);
}

/** Op vector of an enumeration code (inverse of nb201OpsToCode). */
export function nb201CodeToOps(code: number): Nb201Op[] {
  if (!Number.isInteger(code) || code < 0 || code >= NB201_SPACE_SIZE) {
    throw new Error(`A NAS-Bench-201 cell code is an integer in 0..${NB201_SPACE_SIZE - 1}; got ${code}.`);
  }
  const ops: Nb201Op[] = new Array(NB201_EDGES.length);
  for (let e = NB201_EDGES.length - 1; e >= 0; e--) {
    ops[e] = NB201_OPS[code % NB201_OPS.length];
    code = Math.floor(code / NB201_OPS.length);
  }
  return ops;
}

interface SpaceClasses {
  /** Key → the lowest enumeration code with that key. */
  representative: Map<string, number>;
  /** Key → how many of the 15,625 cells share it. */
  size: Map<string, number>;
}
let classes: SpaceClasses | null = null;

/** Groups the whole space by key once per process (15,625 small string builds). */
function spaceClasses(): SpaceClasses {
  if (classes) return classes;
  const representative = new Map<string, number>();
  const size = new Map<string, number>();
  for (let code = 0; code < NB201_SPACE_SIZE; code++) {
    const key = canonicalNb201Key(nb201CodeToOps(code));
    if (!representative.has(key)) representative.set(key, code);
    size.set(key, (size.get(key) ?? 0) + 1);
  }
  classes = { representative, size };
  return classes;
}

/**
 * One spelling shared by every cell of the same computation: the member with the lowest enumeration code
 * (`none` sorts first, so dead edges read `none`). Independent of any table's row order.
 */
export function canonicalNb201Arch(cell: string | readonly string[]): string {
  const code = spaceClasses().representative.get(canonicalNb201Key(cell));
  return formatNb201Arch(nb201CodeToOps(code!));
}

/** How many of the 15,625 arch strings denote the same computation as this cell (≥ 1). */
export function nb201IsomorphCount(cell: string | readonly string[]): number {
  return spaceClasses().size.get(canonicalNb201Key(cell))!;
}

/** Number of distinct computations among the cells (arch strings or op vectors). */
export function countDistinctNb201(cells: Iterable<string | readonly string[]>): number {
  const keys = new Set<string>();
  for (const c of cells) keys.add(canonicalNb201Key(c));
  return keys.size;
}

/** Whether two cells are the same computation. */
export function sameNb201Computation(a: string | readonly string[], b: string | readonly string[]): boolean {
  return canonicalNb201Key(a) === canonicalNb201Key(b);
}
