import * as tf from '../engine/tf';
import type { SearchConfig, StrategyConfigOf, StrategyName } from '../../../shared/config';
import type { ImageSet, Normalization } from '../data/image-set';
import type { Supernet } from '../engine/supernet';
import type { SpaceImplementation } from '../spaces/registry';
import { DartsSearch, type DartsOutcome, type Emit, type SearchControl } from './darts';
import { oneShotSettings } from './one-shot-settings';
import { EvolutionSearch } from './evolution';
import { InstanasSearch } from './instanas';
import { MdenasSearch } from './mdenas';
import { RandomSearch } from './random';
import { SgasSearch } from './sgas';
import { retrainStrategy } from '../estimation/retrain-strategy';
import { spdnasNeedsSpdData } from './spdnas-refusal';

// Every strategy implementation by name (ARCHITECTURE §8). The job runner, the CLI and the trainer build
// strategies only through `createStrategy`; adding one is a file here plus one line in STRATEGY_FACTORIES.

export interface StrategyContext<C = SearchConfig['strategy']> {
  config: SearchConfig;
  /** config.strategy, narrowed to the strategy being built. */
  options: C;
  net: Supernet;
  space: SpaceImplementation;
  /** `test`: the test split, which only a retrain reads. */
  data: { train: ImageSet; test?: ImageSet; normalization: Normalization };
  emit: Emit;
  /** The run's folder (SGAS-es keeps its rollback points there). */
  runDir: string;
  /** Resolved gradient checkpointing. */
  recompute: boolean;
  checkpointPath(epoch: number, stepInEpoch: number, globalStep: number): string;
}

export type SearchOutcome = DartsOutcome;

/** A running search: fresh or restored from a checkpoint, run until done or interrupted, then disposed. */
export interface SearchStrategy {
  readonly epoch: number;
  restore(checkpointPath: string): void;
  run(control: SearchControl): Promise<SearchOutcome>;
  dispose(): void;
}

type Factory<N extends StrategyName> = (ctx: StrategyContext<StrategyConfigOf<N>>) => SearchStrategy;

const STRATEGY_FACTORIES: { [N in StrategyName]: Factory<N> } = {
  darts: (ctx) =>
    new DartsSearch(oneShotSettings(ctx, ctx.options.epochs), ctx.net, ctx.data, ctx.emit, ctx.checkpointPath, {
      cellOps: (weights, ops) => ctx.space.cellOps(ctx.space.fromWeights(ctx.config.space, weights, ops).genotype),
      runConfig: ctx.config,
      scoreCell: (ops) => ctx.space.scoreCell(ops),
    }),
  sgas: (ctx) => new SgasSearch(ctx),
  'sgas-es': (ctx) => new SgasSearch(ctx),
  mdenas: (ctx) => new MdenasSearch(ctx),
  random: (ctx) => new RandomSearch(ctx),
  evolution: (ctx) => new EvolutionSearch(ctx),
  // The job runs InstaNAS through runInstanasJob (its own meta-graph, controller and baseline; the test split);
  // this entry serves other callers that hold a context with the test split.
  instanas: (ctx) => instanasStrategy(ctx),
  // The job runs a retrain without a supernet (estimation/retrain-job.ts); this entry serves other callers.
  retrain: (ctx) => retrainStrategy(ctx),
  // The job runs SPD searches through spdnas-job.ts (matrices, not images); here only image data can arrive.
  spdnas: (ctx) => spdnasNeedsSpdData(ctx),
};

function instanasStrategy(ctx: StrategyContext<StrategyConfigOf<'instanas'>>): SearchStrategy {
  const { train, test } = ctx.data;
  if (!test) throw new Error('InstaNAS reports per-instance policies on the test split; none was loaded.');
  const inputShape: [number, number, number] = ctx.config.augment ? [32, 32, train.channels] : [train.height, train.width, train.channels];
  const environment = { backend: tf.getBackend(), device: tf.getBackend() };
  return new InstanasSearch({ config: ctx.config, data: { ...ctx.data, test }, inputShape, environment, emit: ctx.emit, runDir: ctx.runDir, checkpointPath: ctx.checkpointPath });
}

export function createStrategy(ctx: Omit<StrategyContext, 'options'>): SearchStrategy {
  const name = ctx.config.strategy.name;
  const factory = STRATEGY_FACTORIES[name] as Factory<typeof name>;
  return factory({ ...ctx, options: ctx.config.strategy } as StrategyContext<StrategyConfigOf<typeof name>>);
}

export const IMPLEMENTED_STRATEGIES = Object.keys(STRATEGY_FACTORIES) as StrategyName[];

export { TABLE_STRATEGY_IMPLEMENTATIONS, createTableSearcher } from './table-searchers';
