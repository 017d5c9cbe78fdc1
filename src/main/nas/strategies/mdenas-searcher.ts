import type { StrategyConfigOf } from '../../../shared/config';
import { Rng, hashSeed } from '../engine/rng';
import type { EdgeSelection } from '../spaces/registry';
import type { SamplingSpace } from './architecture-sampling';
import { checkSearcherState, keepBest, type ArchitectureSearcher, type Scored } from './architecture-searcher';
import {
  derivationWeights,
  hasConverged,
  newMdenasState,
  recordSample,
  sampleFromDistribution,
  updateDistribution,
  type MdenasConvergence,
  type MdenasState,
} from './mdenas-distribution';

// MdeNAS's distribution as an ask/tell searcher (ALGORITHMS.md §5), without tfjs: the dry run asks it for a
// cell per table query; MdenasSearch (mdenas.ts) asks it for the path of each training epoch.

export type MdenasOptions = StrategyConfigOf<'mdenas'>;

function convergenceOf(o: MdenasOptions): MdenasConvergence {
  if (o.convergence === 'epochs') return { rule: 'epochs' };
  return o.convergence === 'entropy' ? { rule: 'entropy', threshold: o.entropyThreshold } : { rule: 'max-probability', threshold: o.threshold };
}

interface MdenasSearcherState {
  version: 1;
  strategy: 'mdenas';
  evaluations: number;
  distribution: MdenasState;
  best: Scored | null;
}

/** The distribution as an ask/tell searcher: one sampled architecture per epoch (or per table query). */
export class MdenasSearcher implements ArchitectureSearcher {
  private s: MdenasSearcherState;

  constructor(
    space: SamplingSpace,
    private readonly options: MdenasOptions,
    private readonly seed: number,
  ) {
    this.s = { version: 1, strategy: 'mdenas', evaluations: 0, distribution: newMdenasState(space.cellTypes, space.topology.edgeNodes.length, space.ops.length), best: null };
  }

  get evaluations(): number {
    return this.s.evaluations;
  }

  get best(): Scored | null {
    return this.s.best;
  }

  get distribution(): MdenasState {
    return this.s.distribution;
  }

  /** The path of evaluation (epoch) i: drawn from the distribution as it stands then. */
  ask(): EdgeSelection {
    return sampleFromDistribution(this.s.distribution, new Rng(hashSeed(this.seed, 61, this.s.evaluations)));
  }

  /** Records one sample without updating p (the per-minibatch variant records many, then updates once). */
  record(selection: EdgeSelection, accuracy: number): void {
    recordSample(this.s.distribution, selection, accuracy, this.options.accuracy);
  }

  update(): void {
    updateDistribution(this.s.distribution, this.options.distributionLr, this.options.update);
  }

  /** One evaluation: record, update, count. */
  tell(selection: EdgeSelection, score: number): void {
    this.record(selection, score);
    this.update();
    this.completeEvaluation(selection, score);
  }

  /** Counts an evaluation; `selection` is the architecture it scored (null: many paths, none to keep). */
  completeEvaluation(selection: EdgeSelection | null, score: number): void {
    this.s.evaluations += 1;
    if (selection) this.s.best = keepBest(this.s.best, selection, score);
  }

  converged(): boolean {
    return hasConverged(this.s.distribution, convergenceOf(this.options));
  }

  done(): boolean {
    return this.s.evaluations >= this.options.epochs || this.converged();
  }

  answer(): { weights: Record<string, number[][]> } {
    return { weights: derivationWeights(this.s.distribution) };
  }

  /** The largest probability of every edge's distribution, lowest first: how far from converged it is. */
  leastSettledEdge(): number {
    return Math.min(...Object.values(this.s.distribution).flatMap((c) => c.p.map((row) => Math.max(...row))));
  }

  save(): MdenasSearcherState {
    return structuredClone(this.s);
  }

  load(state: unknown): void {
    this.s = checkSearcherState<MdenasSearcherState>(state, 'mdenas');
  }
}
