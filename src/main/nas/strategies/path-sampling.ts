import { TRAJECTORY_METRICS } from '../../../shared/benchmark-metrics';
import type { SearchConfig, StrategyConfigOf } from '../../../shared/config';
import { Rng, hashSeed } from '../engine/rng';
import type * as tf from '../engine/tf';
import type { EdgeSelection } from '../spaces/registry';
import { architectureKey, randomArchitecture, type SamplingSpace } from './architecture-sampling';
import type { ArchitectureSearcher } from './architecture-searcher';
import { DartsSearch } from './darts';
import { evaluate } from './one-shot';
import type { DartsConfig, DartsOutcome, SearchControl } from './one-shot-types';
import type { StrategyContext } from './registry';

// Weight sharing without α: each weight step trains one discrete path of the supernet (the architecture masks
// fix one op per edge, or prune the edge), so the shared weights learn to serve every architecture. Random
// search and evolution then rank candidates with those weights on fixed validation batches; MdeNAS samples its
// paths from its distribution instead of uniformly.

type PathSamplingOptions = StrategyConfigOf<'mdenas' | 'random' | 'evolution'>;

/** What a weight-sharing search decides on, as its result's summary names it. */
export const SUPERNET_SIGNAL = 'validation accuracy with the shared supernet weights';

interface RankingExtra {
  ranking: unknown;
  distinct: string[];
}

/** The one-shot engine's settings for a strategy that trains weights only (α's optimiser is idle). */
function weightOnlySettings(config: SearchConfig, o: PathSamplingOptions, epochs: number, recompute: boolean): DartsConfig {
  return {
    epochs,
    batchSize: config.batchSize,
    seed: config.seed,
    trainPortion: config.trainPortion,
    augment: config.augment,
    recompute,
    order: 1,
    wLr: o.wLr,
    wLrMin: o.wLrMin,
    momentum: o.momentum,
    wWeightDecay: o.wWeightDecay,
    gradClip: o.gradClip,
    alphaLr: 0,
    alphaWeightDecay: 0,
    alphaBeta1: 0.5,
    alphaBeta2: 0.999,
    lambdaMax: false,
  };
}

export class PathSamplingSearch extends DartsSearch {
  protected readonly sampling: SamplingSpace;
  protected readonly ctx: StrategyContext<PathSamplingOptions>;
  private ranking: ArchitectureSearcher | null = null;
  /** Keys of the distinct candidates ranked, for the summary. */
  private distinct = new Set<string>();

  constructor(
    ctx: StrategyContext<PathSamplingOptions>,
    epochs: number,
    private readonly valBatchesPerCandidate = 10,
  ) {
    super(weightOnlySettings(ctx.config, ctx.options, epochs, ctx.recompute), ctx.net, ctx.data, ctx.emit, ctx.checkpointPath, {
      runConfig: ctx.config,
      scoreCell: (ops) => ctx.space.scoreCell(ops),
    });
    this.ctx = ctx;
    this.sampling = { topology: ctx.space.topology(ctx.config.space), ops: [...ctx.net.ops], cellTypes: [...ctx.net.alphas.keys()] };
  }

  /** After supernet training, rank candidates proposed by `searcher` (random search, evolution). */
  protected useRanking(searcher: ArchitectureSearcher): void {
    this.ranking = searcher;
  }

  /** The path a weight step trains: uniform over the space (a strategy with its own distribution overrides). */
  protected pathFor(globalStep: number): EdgeSelection {
    return randomArchitecture(this.sampling, new Rng(hashSeed(this.config.seed, 53, globalStep)));
  }

  protected setPath(selection: EdgeSelection): void {
    for (const key of this.sampling.cellTypes) this.net.masks.set(key, selection[key], this.sampling.ops.length);
  }

  protected override architectureStep(_t: { x: tf.Tensor4D; y: tf.Tensor1D }, _v: { x: tf.Tensor4D; y: tf.Tensor1D }, _lr: number): void {
    this.setPath(this.pathFor(this.state.globalStep));
  }

  /** No α: neither the collapse indicator nor λ_max applies. */
  protected override async endOfEpoch(_epoch: number): Promise<void> {}

  protected override architectureSnapshot(): null {
    return null;
  }

  /**
   * Validation accuracy of one architecture with the shared weights, on the same fixed batches for all. BN
   * normalises with each batch's own statistics: its running averages mix every path the supernet trained, which
   * fit no single candidate and blur the ranking.
   */
  protected scoreOnValidation(selection: EdgeSelection, batches = this.valBatchesPerCandidate): number {
    this.setPath(selection);
    return evaluate(this.net, this.evalBatches(batches), { batchStatistics: true }).accuracy;
  }

  protected override get progressEpochs(): number {
    return this.ranking ? this.plannedEpochs + 1 : this.plannedEpochs;
  }

  protected override saveExtra(): unknown {
    return this.ranking ? ({ ranking: this.ranking.save(), distinct: [...this.distinct] } satisfies RankingExtra) : undefined;
  }

  protected override restoreExtra(extra: unknown): void {
    if (!this.ranking) return;
    const e = extra as RankingExtra | undefined;
    if (!e || !Array.isArray(e.distinct)) throw new Error('This checkpoint was not written by a weight-sharing sampling search: resume it with the strategy that wrote it.');
    this.ranking.load(e.ranking);
    this.distinct = new Set(e.distinct);
  }

  override async run(control: SearchControl): Promise<DartsOutcome> {
    const trained = await super.run(control);
    if (trained.status !== 'completed' || !this.ranking) return trained;
    const searcher = this.ranking;
    const epoch = Math.max(this.state.epoch - 1, 0);
    if (searcher.evaluations === 0) {
      this.emit({ type: 'log', level: 'info', message: `Supernet trained; ranking candidates on ${this.valBatchesPerCandidate} validation batches each.` });
    }
    while (!searcher.done()) {
      const signal = control.interrupt();
      if (signal) {
        if (signal === 'pause') await this.saveCheckpoint();
        return this.outcome(signal === 'pause' ? 'paused' : 'stopped');
      }
      const candidate = searcher.ask();
      const score = this.scoreOnValidation(candidate);
      searcher.tell(candidate, score);
      this.distinct.add(architectureKey(candidate));
      this.emitTrajectory(searcher, epoch, score);
      this.emit({ type: 'progress', epoch: this.plannedEpochs, epochs: this.progressEpochs, step: searcher.evaluations, stepsPerEpoch: this.rankingBudget() });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await this.saveCheckpoint();
    const best = searcher.best;
    this.emit({ type: 'log', level: 'info', message: `Ranked ${searcher.evaluations} candidates (${this.distinct.size} distinct); the best reached ${best ? (100 * best.score).toFixed(2) : '—'}% validation accuracy with the shared weights.` });
    const answer = searcher.answer();
    return {
      ...trained,
      // The run's accuracy is its answer's: the best candidate's, not the last training epoch's random path.
      valAccuracy: best?.score ?? trained.valAccuracy,
      ...('selection' in answer ? { selection: answer.selection } : { weights: answer.weights }),
      summary: { evaluations: searcher.evaluations, distinctArchitectures: this.distinct.size, signal: SUPERNET_SIGNAL, notes: [] },
    };
  }

  /** Candidates the ranking scores in all (the options' samples). */
  private rankingBudget(): number {
    return (this.ctx.options as { samples?: number }).samples ?? this.ranking?.evaluations ?? 0;
  }

  private emitTrajectory(searcher: ArchitectureSearcher, epoch: number, score: number): void {
    const values: Record<string, number> = { [TRAJECTORY_METRICS.candidate]: score };
    if (searcher.best) {
      values[TRAJECTORY_METRICS.best] = searcher.best.score;
      const nb201 = this.ctx.space.fromSelection(this.ctx.config.space, searcher.best.selection, this.sampling.ops).nb201;
      if (nb201) values[TRAJECTORY_METRICS.bestCifar10] = nb201.cifar10;
    }
    this.emit({ type: 'metrics', step: searcher.evaluations, epoch, values });
  }

  override dispose(): void {
    this.net.masks.clear();
    super.dispose();
  }
}
