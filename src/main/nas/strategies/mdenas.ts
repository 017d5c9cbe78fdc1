import { TRAJECTORY_METRICS } from '../../../shared/benchmark-metrics';
import type { StrategyConfigOf } from '../../../shared/config';
import { Rng, hashSeed } from '../engine/rng';
import type * as tf from '../engine/tf';
import type { EdgeSelection } from '../spaces/registry';
import { probabilities, sampleFromDistribution } from './mdenas-distribution';
import { MdenasSearcher } from './mdenas-searcher';
import { correctCount } from './one-shot';
import type { DartsOutcome } from './one-shot-types';
import { PathSamplingSearch, SUPERNET_SIGNAL } from './path-sampling';
import type { StrategyContext } from './registry';

// MdeNAS (ALGORITHMS.md §5). Each epoch samples a path from the per-edge distributions, trains it (weight
// sharing), measures its validation accuracy and updates the distributions by the performance-ranking rule
// (mdenas-distribution.ts). In a dry run the table's accuracy of the sampled cell replaces training.

export { MdenasSearcher } from './mdenas-searcher';

type MdenasOptions = StrategyConfigOf<'mdenas'>;

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
    if (path && best) {
      const values: Record<string, number> = { [TRAJECTORY_METRICS.candidate]: this.lastValAcc, [TRAJECTORY_METRICS.best]: best.score };
      const nb201 = this.ctx.space.fromSelection(this.ctx.config.space, best.selection, this.net.ops).nb201;
      if (nb201) values[TRAJECTORY_METRICS.bestCifar10] = nb201.cifar10;
      this.emit({ type: 'metrics', step: this.searcher.evaluations, epoch, values });
    }
    if (this.searcher.converged() && this.state.epoch < this.plannedEpochs) {
      this.emit({ type: 'log', level: 'info', message: `MdeNAS converged after ${this.state.epoch} epochs (${this.mde.convergence} rule): every edge's distribution settled.` });
    }
  }

  protected override outcome(status: DartsOutcome['status']): DartsOutcome {
    const signal = this.mde.sampling === 'epoch' ? `${SUPERNET_SIGNAL}, each epoch’s path` : `${SUPERNET_SIGNAL}, each minibatch’s path on its validation batch`;
    return { ...super.outcome(status), summary: { evaluations: this.searcher.evaluations, distinctArchitectures: null, signal, notes: [] } };
  }

  protected override architectureWeights(): Record<string, number[][]> {
    return this.searcher.answer().weights;
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
