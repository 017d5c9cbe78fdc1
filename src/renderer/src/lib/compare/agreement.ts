// How much a selection of runs agrees on its cells (a seed group's reproducibility): edge and op overlap,
// how many found the same architecture, and the spread of their accuracies.
import type { CellArch } from './cells';
import { equivalenceKey } from './cells';

export interface Agreement {
  /** Runs with a cell of every type (the others cannot agree or disagree). */
  runsWithCells: number;
  /** Mean over run pairs of |edges ∩| / |edges ∪| by position (source → target), all cell types together. */
  edgeOverlap: number | null;
  /** The same with the op included: both the position and the op must match. */
  opOverlap: number | null;
  /** Size of the largest set of runs with the same architecture (every cell type equivalent). */
  sameArchitecture: number;
  /** Distinct architectures among the runs with cells. */
  distinctArchitectures: number;
  accuracy: { n: number; mean: number; min: number; max: number; std: number } | null;
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  const union = new Set([...a, ...b]).size;
  if (union === 0) return 1;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / union;
}

/** `cells[run][cellType]`; `accuracies` one per run (null where unknown). */
export function agreementOf(space: string, cells: readonly (readonly (CellArch | null)[])[], accuracies: readonly (number | null)[]): Agreement {
  const complete = cells.filter((perType) => perType.length > 0 && perType.every((c) => c !== null)) as CellArch[][];
  const positions = complete.map((perType) => new Set(perType.flatMap((c, t) => c.edges.map((e) => `${t}:${e.from}>${e.to}`))));
  const withOps = complete.map((perType) => new Set(perType.flatMap((c, t) => c.edges.map((e) => `${t}:${e.from}>${e.to}:${e.op}`))));
  const meanPairs = (sets: Set<string>[]): number | null => {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < sets.length; i++) for (let j = i + 1; j < sets.length; j++) (sum += jaccard(sets[i], sets[j])), n++;
    return n ? sum / n : null;
  };
  const classes = new Map<string, number>();
  for (const perType of complete) {
    const key = perType.map((c) => equivalenceKey(space, c)).join('\n');
    classes.set(key, (classes.get(key) ?? 0) + 1);
  }
  const acc = accuracies.filter((x): x is number => x !== null && Number.isFinite(x));
  const mean = acc.reduce((s, x) => s + x, 0) / (acc.length || 1);
  return {
    runsWithCells: complete.length,
    edgeOverlap: meanPairs(positions),
    opOverlap: meanPairs(withOps),
    sameArchitecture: Math.max(0, ...classes.values()),
    distinctArchitectures: classes.size,
    accuracy: acc.length
      ? {
          n: acc.length,
          mean,
          min: Math.min(...acc),
          max: Math.max(...acc),
          // Sample standard deviation (n − 1): the runs are a sample of the seeds one could have used.
          std: acc.length > 1 ? Math.sqrt(acc.reduce((s, x) => s + (x - mean) ** 2, 0) / (acc.length - 1)) : 0,
        }
      : null,
  };
}

/** A seed group: every run carries the same non-null group id (RunSummary.groupId). */
export function sharedGroupId(details: readonly { groupId?: number | null }[]): number | null {
  const first = details[0]?.groupId ?? null;
  return first !== null && details.every((d) => (d.groupId ?? null) === first) ? first : null;
}
