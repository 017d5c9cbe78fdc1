import { join } from 'node:path';
import type { ResultOf } from '../../shared/api';
import { ConflictError, NotFoundError } from '../app-errors';
import { exportInstanasVariant } from '../nas/strategies/instanas-export';
import type { Store } from '../store/store';

// runs.exportVariant: one of an InstaNAS run's variants A–E (a phase-2 checkpoint kept with the run) written as
// a model another program can load: <data folder>/exports/run-<id>-instanas-<label>/ (instanas.json, the
// meta-graph's layout, policy rule and latency table with a TF.js weights manifest, and weights.bin).

export class InstanasExportService {
  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
    private readonly runDir: (id: number) => string,
  ) {}

  exportVariant(id: number, label: string): ResultOf<'runs.exportVariant'> {
    const run = this.store.runs.get(id);
    if (!run) throw new NotFoundError(`There is no run ${id}.`, 'Pick a run from the runs list; it may have been deleted.');
    if (run.strategy !== 'instanas') throw new ConflictError(`Run ${id} is a ${run.strategy} run; only InstaNAS runs have variants to export.`);
    if (!run.instanas) {
      throw new ConflictError(
        run.status === 'completed' ? `Run ${id} finished without an InstaNAS result, so it has no variants.` : `Run ${id} is ${run.status}: its variants can be exported once it has completed.`,
      );
    }
    const variant = run.instanas.variants.find((v) => v.label === label);
    if (!variant) {
      const labels = run.instanas.variants.map((v) => v.label);
      throw new NotFoundError(`Run ${id} has no variant '${label}'.`, labels.length ? `Its variants are ${labels.join(', ')}.` : 'The search ended before it kept any variant.');
    }
    const dir = join(this.dataDir, 'exports', `run-${id}-instanas-${label}`);
    const { epoch, valAccuracy, testAccuracy, meanLatency, stdLatency, distinct } = variant;
    const out = exportInstanasVariant(this.runDir(id), variant.checkpoint, dir, { run: id, label, epoch, valAccuracy, testAccuracy, meanLatency, stdLatency, distinct });
    return { label, path: out.dir, model: out.model, weights: out.weights, values: out.values };
  }
}
