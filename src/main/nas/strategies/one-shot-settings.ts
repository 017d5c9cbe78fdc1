import type { StrategyConfigOf } from '../../../shared/config';
import type { StrategyContext } from './registry';

/** The one-shot engine's settings from a run config (common budget fields + the strategy's optimiser fields). */
export function oneShotSettings(ctx: StrategyContext<StrategyConfigOf<'darts' | 'sgas' | 'sgas-es'>>, epochs: number) {
  const { config, options } = ctx;
  return {
    ...options,
    epochs,
    batchSize: config.batchSize,
    seed: config.seed,
    trainPortion: config.trainPortion,
    augment: config.augment,
    recompute: ctx.recompute,
  };
}
