import { join } from 'node:path';
import type { StrategyConfigOf } from '../../../shared/config';
import type { SearchStrategy, StrategyContext } from '../strategies/registry';
import { RetrainSearch } from './retrain';

// The retrain as a SearchStrategy from a strategy context (the registry's entry). It does not use the
// context's supernet; the job runner skips building one and calls runRetrainJob instead.

export function retrainStrategy(ctx: StrategyContext<StrategyConfigOf<'retrain'>>): SearchStrategy {
  const test = ctx.data.test;
  if (!test) throw new Error('A retrain needs the dataset’s test split; none was loaded.');
  const augment = ctx.config.augment;
  const t = ctx.data.train;
  return new RetrainSearch({
    config: ctx.config,
    data: { train: t, test, normalization: ctx.data.normalization },
    inputShape: augment ? [32, 32, t.channels] : [t.height, t.width, t.channels],
    emit: ctx.emit,
    checkpointPath: ctx.checkpointPath,
    exportDir: join(ctx.runDir, 'model'),
  });
}
