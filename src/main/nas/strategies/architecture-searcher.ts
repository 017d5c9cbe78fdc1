import type { EdgeSelection } from '../spaces/registry';

// The ask/tell loop every sampling strategy shares (random search, regularised evolution, MdeNAS): the
// searcher proposes an architecture, something scores it — the NAS-Bench-201 table in a dry run, the shared
// supernet weights on validation batches otherwise — and the searcher learns from the score. Its state is
// plain JSON, so a pause, a crash or a dry run stores and restores it exactly.

export interface Scored {
  selection: EdgeSelection;
  score: number;
}

export interface ArchitectureSearcher {
  /** Architectures scored so far. */
  readonly evaluations: number;
  /** The next architecture to score: a function of the state and the seed alone (so resumes repeat it). */
  ask(): EdgeSelection;
  tell(selection: EdgeSelection, score: number): void;
  /** True once the budget is spent (or the search converged). */
  done(): boolean;
  /** The best architecture scored so far, by the searcher's own signal. */
  readonly best: Scored | null;
  /**
   * What the search returns: the best scored architecture, or (MdeNAS) weights per cell type from which the
   * space derives its architecture by its own rule.
   */
  answer(): { selection: EdgeSelection } | { weights: Record<string, number[][]> };
  save(): unknown;
  load(state: unknown): void;
}

/** Keeps the best by score; the first of equal scores stays (a later tie is no improvement). */
export function keepBest(best: Scored | null, selection: EdgeSelection, score: number): Scored | null {
  if (!Number.isFinite(score)) return best;
  return best === null || score > best.score ? { selection: structuredClone(selection) as EdgeSelection, score } : best;
}

/** Throws the same clear error for any state a searcher cannot load. */
export function checkSearcherState<T extends { version: number; strategy: string }>(state: unknown, strategy: string): T {
  const s = state as T | undefined;
  if (!s || s.version !== 1 || s.strategy !== strategy) {
    throw new Error(`This checkpoint was not written by a ${strategy} search: resume it with the strategy that wrote it.`);
  }
  return structuredClone(s);
}
