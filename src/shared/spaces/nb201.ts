// NAS-Bench-201 cell space (ALGORITHMS.md §1.2): 4 nodes, 6 edges (every i<j), one op per edge.
export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
export type Nb201Op = (typeof NB201_OPS)[number];

/** Edges in α-row order, which is also the arch-string order: (0→1), (0→2), (1→2), (0→3), (1→3), (2→3). */
export const NB201_EDGES: ReadonlyArray<readonly [from: number, to: number]> = [
  [0, 1],
  [0, 2],
  [1, 2],
  [0, 3],
  [1, 3],
  [2, 3],
];
export const NB201_NODES = 4;
export const NB201_SPACE_SIZE = NB201_OPS.length ** NB201_EDGES.length;

/** One op per edge, in NB201_EDGES order. */
export type Nb201Genotype = Nb201Op[];

export function isNb201Op(s: string): s is Nb201Op {
  return (NB201_OPS as readonly string[]).includes(s);
}

/** `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` */
export function formatNb201Arch(ops: readonly string[]): string {
  if (ops.length !== NB201_EDGES.length) {
    throw new Error(`A NAS-Bench-201 cell has ${NB201_EDGES.length} edges; got ${ops.length} ops.`);
  }
  const nodes: string[] = [];
  let k = 0;
  for (let to = 1; to < NB201_NODES; to++) {
    const parts: string[] = [];
    for (let from = 0; from < to; from++) {
      const op = ops[k++];
      if (!isNb201Op(op)) throw new Error(`Unknown NAS-Bench-201 op '${op}'. Valid ops: ${NB201_OPS.join(', ')}.`);
      parts.push(`${op}~${from}`);
    }
    nodes.push(`|${parts.join('|')}|`);
  }
  return nodes.join('+');
}

export function parseNb201Arch(arch: string): Nb201Genotype {
  const nodes = arch.trim().split('+');
  if (nodes.length !== NB201_NODES - 1) {
    throw new Error(`Invalid NAS-Bench-201 arch string '${arch}': expected ${NB201_NODES - 1} nodes separated by '+'.`);
  }
  const ops: Nb201Genotype = [];
  nodes.forEach((node, i) => {
    const to = i + 1;
    if (!node.startsWith('|') || !node.endsWith('|')) {
      throw new Error(`Invalid NAS-Bench-201 arch string '${arch}': node ${to} must be framed by '|'.`);
    }
    const entries = node.slice(1, -1).split('|');
    if (entries.length !== to) {
      throw new Error(`Invalid NAS-Bench-201 arch string '${arch}': node ${to} needs ${to} inputs, has ${entries.length}.`);
    }
    entries.forEach((entry, from) => {
      const [op, src] = entry.split('~');
      if (!isNb201Op(op)) throw new Error(`Invalid NAS-Bench-201 arch string '${arch}': unknown op '${op}'.`);
      if (Number(src) !== from || src !== String(from)) {
        throw new Error(`Invalid NAS-Bench-201 arch string '${arch}': entry '${entry}' of node ${to} should read from node ${from}.`);
      }
      ops.push(op);
    });
  });
  return ops;
}

/** Index into the 5^6 enumeration (edge 0 most significant); a compact key for tests and tables. */
export function nb201OpsToCode(ops: readonly Nb201Op[]): number {
  return ops.reduce((acc, op) => acc * NB201_OPS.length + NB201_OPS.indexOf(op), 0);
}
