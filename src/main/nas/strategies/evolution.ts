import type { StrategyConfigOf } from '../../../shared/config';
import { EvolutionSearcher } from './evolution-searcher';
import { PathSamplingSearch } from './path-sampling';
import type { StrategyContext } from './registry';

// Regularised evolution with weight sharing: a supernet trains on uniformly sampled paths (path-sampling.ts),
// then evolution (evolution-searcher.ts) runs on the candidates' validation accuracy with the shared weights.

export { EvolutionSearcher, type EvolutionOptions } from './evolution-searcher';

/** Regularised evolution with weight sharing: uniform paths for the supernet, then evolution on its accuracy. */
export class EvolutionSearch extends PathSamplingSearch {
  constructor(ctx: StrategyContext<StrategyConfigOf<'evolution'>>) {
    super(ctx, ctx.options.epochs, ctx.options.valBatches);
    this.useRanking(new EvolutionSearcher(this.sampling, ctx.options, ctx.config.seed));
  }
}
