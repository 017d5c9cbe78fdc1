import { ref, shallowRef } from 'vue';
import type { Collapse, Decision, EarlyStop, Eigenvalue, TrainerEvent } from '../../../shared/events';
import { api } from '../api';
import { isForcedGenotype, type ForcedGenotype } from '../lib/search-history';

const decidedTotal = (p: ForcedGenotype) => Object.values(p.decided).reduce((n, row) => n + row.filter((v) => v !== null).length, 0);

export interface ForcedEntry {
  epoch: number;
  payload: ForcedGenotype;
}

/**
 * The open run's search history: SGAS decisions, SGAS-es early stops, λ_max per epoch, the latest collapse
 * warning and the growing ("forced") cell. Loaded with runs.searchHistory + genotype snapshots, then
 * appended from live events; replayed events are recognised by their wall epoch and skipped.
 */
export function createSearchHistory() {
  const decisions = shallowRef<Decision[]>([]);
  const eigenvalues = shallowRef<Eigenvalue[]>([]);
  const earlyStops = shallowRef<EarlyStop[]>([]);
  const collapse = ref<Collapse | null>(null);
  const forced = shallowRef<ForcedEntry | null>(null);

  function reset(): void {
    decisions.value = [];
    eigenvalues.value = [];
    earlyStops.value = [];
    collapse.value = null;
    forced.value = null;
  }

  async function load(runId: number): Promise<() => void> {
    const [h, genotypes] = await Promise.all([
      api().invoke('runs.searchHistory', { id: runId }),
      api().invoke('runs.snapshots', { id: runId, kind: 'genotype' }),
    ]);
    // Snapshots come by logical epoch, which repeats after a rollback; decisions only grow, so the one with
    // the most decided edges (the later of equals) is the current cell.
    let last: { epoch: number; payload: unknown } | undefined;
    for (const g of genotypes) {
      if (isForcedGenotype(g.payload) && (!last || decidedTotal(g.payload) >= decidedTotal(last.payload as ForcedGenotype))) last = g;
    }
    // Applied by the caller once the load is known to be current.
    return () => {
      decisions.value = h.decisions.slice();
      eigenvalues.value = h.eigenvalues.slice();
      earlyStops.value = h.earlyStops.slice();
      forced.value = last ? { epoch: last.epoch, payload: last.payload as ForcedGenotype } : null;
    };
  }

  const sameDecision = (a: Decision, b: Decision) => a.wallEpoch === b.wallEpoch && a.cellType === b.cellType && a.edge === b.edge;

  /** Takes the events this history keeps; false for anything else. */
  function apply(e: TrainerEvent): boolean {
    switch (e.type) {
      case 'decision':
        if (!decisions.value.some((d) => sameDecision(d, e.decision))) decisions.value = [...decisions.value, e.decision];
        return true;
      case 'eigenvalue':
        if (!eigenvalues.value.some((v) => v.wallEpoch === e.eigenvalue.wallEpoch)) eigenvalues.value = [...eigenvalues.value, e.eigenvalue];
        return true;
      case 'early-stop':
        if (!earlyStops.value.some((s) => s.wallEpoch === e.earlyStop.wallEpoch)) earlyStops.value = [...earlyStops.value, e.earlyStop];
        return true;
      case 'collapse':
        collapse.value = e.collapse;
        return true;
      case 'snapshot':
        if (e.kind !== 'genotype' || !isForcedGenotype(e.payload)) return false;
        forced.value = { epoch: e.epoch, payload: e.payload };
        return true;
      default:
        return false;
    }
  }

  return { decisions, eigenvalues, earlyStops, collapse, forced, reset, load, apply };
}
export type SearchHistory = ReturnType<typeof createSearchHistory>;
