import type { SearchConfig, StrategyConfigOf, StrategyName } from '../../../shared/config';
import type { SamplingSpace } from './architecture-sampling';
import type { ArchitectureSearcher } from './architecture-searcher';
import { EvolutionSearcher } from './evolution-searcher';
import { MdenasSearcher } from './mdenas-searcher';
import { RandomSearcher } from './random-searcher';

// The strategies that can dry-run on the NAS-Bench-201 table (descriptor `tableBudget`), as ask/tell searchers.
// Kept apart from registry.ts so that a dry run loads no tfjs.

type TableFactory<N extends StrategyName> = (options: StrategyConfigOf<N>, space: SamplingSpace, seed: number) => ArchitectureSearcher;

/** The strategies that can dry-run on the NAS-Bench-201 table, as ask/tell searchers (descriptor `tableBudget`). */
const TABLE_SEARCHERS: { [N in StrategyName]?: TableFactory<N> } = {
  mdenas: (options, space, seed) => new MdenasSearcher(space, options, seed),
  random: (options, space, seed) => new RandomSearcher(space, options.samples, seed),
  evolution: (options, space, seed) => new EvolutionSearcher(space, options, seed),
};

export function createTableSearcher(strategy: SearchConfig['strategy'], space: SamplingSpace, seed: number): ArchitectureSearcher {
  const factory = TABLE_SEARCHERS[strategy.name] as TableFactory<typeof strategy.name> | undefined;
  if (!factory) throw new Error(`${strategy.name} has no dry run on the NAS-Bench-201 table; choose one of ${Object.keys(TABLE_SEARCHERS).join(', ')}.`);
  return factory(strategy as StrategyConfigOf<typeof strategy.name>, space, seed);
}

export const TABLE_STRATEGY_IMPLEMENTATIONS = Object.keys(TABLE_SEARCHERS) as StrategyName[];
