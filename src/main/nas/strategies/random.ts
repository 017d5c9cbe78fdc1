import type { StrategyConfigOf } from '../../../shared/config';
import { PathSamplingSearch } from './path-sampling';
import { RandomSearcher } from './random-searcher';
import type { StrategyContext } from './registry';

// Random search with weight sharing (Li & Talwalkar, UAI 2019): a supernet trains on a uniformly sampled path
// per minibatch (path-sampling.ts), then N uniformly drawn architectures are ranked with the shared weights.

export { RandomSearcher } from './random-searcher';

/** Random search with weight sharing: uniform paths for the supernet, then N uniform candidates ranked. */
export class RandomSearch extends PathSamplingSearch {
  constructor(ctx: StrategyContext<StrategyConfigOf<'random'>>) {
    super(ctx, ctx.options.epochs, ctx.options.valBatches);
    this.useRanking(new RandomSearcher(this.sampling, ctx.options.samples, ctx.config.seed));
  }
}
