import type { StrategyConfigOf } from '../../../shared/config';
import type { SearchStrategy, StrategyContext } from './registry';

/**
 * The registry's SPDNetNAS entry for an image dataset: SPDNetNAS searches SPD matrices, which the job loads
 * and runs through spdnas-job.ts; an image context means the dataset is the wrong kind, so say which to pick.
 */
export function spdnasNeedsSpdData(ctx: StrategyContext<StrategyConfigOf<'spdnas'>>): SearchStrategy {
  throw new Error(
    `SPDNetNAS searches SPD matrices, but '${ctx.config.dataset}' is an image dataset. Choose an SPD dataset: the built-in spd-synthetic, or an imported folder of SPD matrices.`,
  );
}
