import { TRAJECTORY_METRICS } from '../../../shared/benchmark-metrics';
import type { StrategyConfigOf } from '../../../shared/config';
import { Rng, hashSeed } from '../engine/rng';
import * as tf from '../engine/tf';
import type { EdgeSelection } from '../spaces/registry';
import type { SamplingSpace } from './architecture-sampling';
import { checkSearcherState, keepBest, type ArchitectureSearcher, type Scored } from './architecture-searcher';
import {
  hasConverged,
  newMdenasState,
  probabilities,
  recordSample,
  sampleFromDistribution,
  updateDistribution,
  type MdenasConvergence,
  type MdenasState,
} from './mdenas-distribution';
import { correctCount } from './one-shot';
import type { DartsOutcome } from './one-shot-types';
import { PathSamplingSearch } from './path-sampling';
import type { StrategyContext } from './registry';

// MdeNAS (ALGORITHMS.md §5). Each epoch samples a path from the per-edge distributions, trains it (weight
// sharing), measures its validation accuracy and updates the distributions by the performance-ranking rule
// (mdenas-distribution.ts). In a dry run the table's accuracy of the sampled cell replaces training.

type MdenasOptions = StrategyConfigOf<'mdenas'>;

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
    return { weights: probabilities(this.s.distribution) };
  }

  save(): MdenasSearcherState {
    return structuredClone(this.s);
  }

  load(state: unknown): void {
    this.s = checkSearcherState<MdenasSearcherState>(state, 'mdenas');
  }
}

/** MdeNAS with weight sharing: the supernet trains the paths the distribution samples. */
export class MdenasSearch extends PathSamplingSearch {
  private readonly searcher: MdenasSearcher;
  private readonly mde: MdenasOptions;

  constructor(ctx: StrategyContext<MdenasOptions>) {
    super(ctx, ctx.options.epochs);
    this.mde = ctx.options;
    this.searcher = new MdenasSearcher(this.sampling, ctx.options, ctx.config.seed);
  }

  /** Per epoch: evaluation i is epoch i, so a resume draws the same path. Per minibatch: keyed by the step. */
  protected override pathFor(globalStep: number): EdgeSelection {
    if (this.mde.sampling === 'epoch') return this.searcher.ask();
    return sampleFromDistribution(this.searcher.distribution, new Rng(hashSeed(this.config.seed, 62, globalStep)));
  }

  protected override architectureStep(t: { x: tf.Tensor4D; y: tf.Tensor1D }, v: { x: tf.Tensor4D; y: tf.Tensor1D }): void {
    const path = this.pathFor(this.state.globalStep);
    this.setPath(path);
    if (this.mde.sampling !== 'minibatch') return;
    // The variant that resamples per minibatch scores each path on the minibatch's validation batch.
    const correct = correctCount(this.net.forward({ training: false, bnUpdates: null }, v.x), v.y);
    this.searcher.record(path, correct / v.y.shape[0]);
  }

  protected override finished(): boolean {
    return this.state.epoch >= this.plannedEpochs || this.searcher.converged();
  }

  protected override async endOfEpoch(epoch: number): Promise<void> {
    // The epoch's evaluation used the epoch's path (the masks still hold it): lastValAcc is its accuracy.
    const path = this.mde.sampling === 'epoch' ? this.searcher.ask() : null;
    if (path) this.searcher.record(path, this.lastValAcc);
    this.searcher.update();
    this.searcher.completeEvaluation(path, this.lastValAcc);
    this.emit({ type: 'snapshot', epoch, kind: 'probabilities', payload: { ops: [...this.net.ops], cells: probabilities(this.searcher.distribution) } });
    const best = this.searcher.best;
    if (path && best) this.emit({ type: 'metrics', step: this.searcher.evaluations, epoch, values: { [TRAJECTORY_METRICS.candidate]: this.lastValAcc, [TRAJECTORY_METRICS.best]: best.score } });
    if (this.searcher.converged() && this.state.epoch < this.plannedEpochs) {
      this.emit({ type: 'log', level: 'info', message: `MdeNAS converged after ${this.state.epoch} epochs (${this.mde.convergence} rule): every edge's distribution settled.` });
    }
  }

  protected override outcome(status: DartsOutcome['status']): DartsOutcome {
    const signal = this.mde.sampling === 'epoch' ? 'supernet val_acc of each epoch’s path' : 'supernet accuracy of each minibatch’s path on its validation batch';
    return { ...super.outcome(status), summary: { evaluations: this.searcher.evaluations, distinctArchitectures: null, signal, notes: [] } };
  }

  protected override architectureWeights(): Record<string, number[][]> {
    return probabilities(this.searcher.distribution);
  }

  protected override currentCellOps(): string[] {
    const { space, config } = this.ctx;
    return space.cellOps(space.fromWeights(config.space, this.architectureWeights(), this.net.ops).genotype);
  }

  protected override saveExtra(): unknown {
    return this.searcher.save();
  }

  protected override restoreExtra(extra: unknown): void {
    this.searcher.load(extra);
  }
}
