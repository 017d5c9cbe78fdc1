import type { RunDetail } from '../../shared/api';
import { describeZodError, SearchConfigSchema, type SearchConfig } from '../../shared/config';
import { architectureProblem, type RetrainOverrides } from '../../shared/strategies/retrain';
import { ConflictError, NotFoundError, UserError } from '../app-errors';
import type { RunManager } from '../runs/run-manager';
import type { Store } from '../store/store';

// runs.retrain: one click from a finished search to a queued retrain of the architecture it found, linked to
// it (parentId). The new run keeps the search's dataset, space, seed and backend; the budget, recipe and
// network size come from the overrides or the retrain's defaults, and it trains on every training image.

/** The architecture of a run as a retrain takes it, or null while it has none. */
export function architectureOf(run: Pick<RunDetail, 'arch' | 'genotype' | 'config'>): string | null {
  if (run.config.space.name === 'nb201') return run.arch ?? null;
  return run.genotype ? JSON.stringify(run.genotype) : null;
}

export function retrainConfig(parent: RunDetail, overrides: RetrainOverrides = {}): SearchConfig {
  const architecture = architectureOf(parent);
  if (!architecture) {
    throw new ConflictError(
      `Run ${parent.id} has no architecture yet (it is ${parent.status}).`,
      'A retrain trains the architecture a search found: retrain the run once it has completed.',
    );
  }
  const p = parent.config;
  const dataset = overrides.dataset ?? p.dataset;
  if (!dataset) throw new UserError(`Run ${parent.id} is a dry run on the table and used no dataset: choose the dataset to retrain on.`);
  const input = {
    // The SPDNet baseline is not the search's architecture: its name says so, beside the cell's retrain.
    name: (overrides.name ?? (overrides.strategy?.network === 'spdnet' ? `SPDNet baseline for #${parent.id} (${parent.name})` : `Retrain of #${parent.id} (${parent.name})`)).slice(0, 200),
    dataset,
    trainLimit: overrides.trainLimit ?? 0,
    augment: p.augment,
    batchSize: overrides.batchSize ?? p.batchSize,
    seed: overrides.seed ?? p.seed,
    backend: p.backend,
    recompute: p.recompute,
    // A stand-alone network has every op; the SPD space has no op subset to clear.
    space: { ...p.space, ...overrides.space, ...('ops' in p.space ? { ops: [] } : {}) },
    strategy: { name: 'retrain', architecture, ...overrides.strategy },
  };
  const r = SearchConfigSchema.safeParse(input);
  if (!r.success) throw new UserError(`Cannot retrain run ${parent.id}: ${describeZodError(r.error)}`);
  const problem = architectureProblem(r.data.space, architecture);
  if (problem) throw new UserError(`Cannot retrain run ${parent.id}: ${problem}`);
  return r.data;
}

export class RetrainService {
  constructor(
    private readonly store: Store,
    private readonly runs: RunManager,
  ) {}

  /** Queues a retrain of run `id`'s architecture as its child; 409 while the run has no architecture. */
  retrain(id: number, overrides?: RetrainOverrides): { id: number } {
    const parent = this.store.runs.get(id);
    if (!parent) throw new NotFoundError(`There is no run ${id}.`, 'Pick a run from the runs list; it may have been deleted.');
    return { id: this.runs.create(retrainConfig(parent, overrides), { parentId: id }) };
  }
}
