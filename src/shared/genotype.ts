import { DARTS_STEPS, dartsEdges, type DartsGenotype, type GenotypeEntry } from './spaces/darts';

// Discretisation rules (ALGORITHMS.md §2), pure so that the trainer and the live view derive the same cell
// from the same weights. `weights` rows are edges, columns ops (softmax(α) or probabilities).

function argmaxExcluding(row: readonly number[], exclude: number): number {
  let best = -1;
  for (let k = 0; k < row.length; k++) {
    if (k === exclude) continue;
    if (best < 0 || row[k] > row[best]) best = k;
  }
  return best;
}

/** NAS-Bench-201: every edge keeps exactly one op; `none` is allowed only when `allowNone`. */
export function deriveNb201Ops(weights: readonly (readonly number[])[], ops: readonly string[], allowNone: boolean): string[] {
  const noneIndex = allowNone ? -1 : ops.indexOf('none');
  return weights.map((row) => ops[argmaxExcluding(row, noneIndex)]);
}

/** DARTS rule for one cell type: per node the 2 incoming edges with the largest non-none weight. */
export function deriveDartsCell(weights: readonly (readonly number[])[], ops: readonly string[], steps = DARTS_STEPS): GenotypeEntry[] {
  const edges = dartsEdges(steps);
  if (weights.length !== edges.length) {
    throw new Error(`A DARTS cell with ${steps} nodes has ${edges.length} edges; got weights for ${weights.length}.`);
  }
  const noneIndex = ops.indexOf('none');
  const entries: GenotypeEntry[] = [];
  for (let node = 0; node < steps; node++) {
    const incoming = edges.filter((e) => e.node === node);
    const strength = (e: (typeof edges)[number]) => {
      const row = weights[e.index];
      return row[argmaxExcluding(row, noneIndex)];
    };
    // Stable: ties keep the lower source index, as a sort over sources would.
    const chosen = [...incoming].sort((a, b) => strength(b) - strength(a) || a.source - b.source).slice(0, 2);
    chosen.sort((a, b) => a.source - b.source);
    for (const e of chosen) entries.push([ops[argmaxExcluding(weights[e.index], noneIndex)], e.source]);
  }
  return entries;
}

export function deriveDartsGenotype(
  normal: readonly (readonly number[])[],
  reduce: readonly (readonly number[])[],
  ops: readonly string[],
  steps = DARTS_STEPS,
): DartsGenotype {
  const concat = Array.from({ length: steps }, (_, i) => i + 2);
  return {
    normal: deriveDartsCell(normal, ops, steps),
    normalConcat: concat,
    reduce: deriveDartsCell(reduce, ops, steps),
    reduceConcat: [...concat],
  };
}
