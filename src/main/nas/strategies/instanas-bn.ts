import * as tf from '../engine/tf';
import type { Batch } from '../data/batcher';
import { BN_MOMENTUM, type ForwardContext } from '../engine/layers';

// BatchNorm statistics re-estimated for the current weights (the "BN recalibration" of one-shot NAS). The
// running statistics are an exponential average over past steps, taken while the weights moved: after few
// updates (a short run, the first epochs of a long one) they describe networks that no longer exist, and an
// eval-mode forward of a meta-graph whose every block sums up to five residual branches is then at chance
// even when the same weights classify well with batch statistics. Every eval-mode use of a network (the
// controller's rewards, validation, the test figures) therefore first sets its running statistics to the
// plain average of a few training batches' statistics under the paths it will be evaluated on.

/** Forward passes in training mode on `batches`; each BN layer's running mean and variance become their average. */
export function recalibrateBatchNorm(batches: Iterable<Batch>, forward: (ctx: ForwardContext, batch: Batch) => void): number {
  const sums = new Map<tf.Variable, tf.Tensor>();
  let count = 0;
  for (const batch of batches) {
    const ctx: ForwardContext = { training: true, bnUpdates: [] };
    tf.tidy(() => forward(ctx, batch));
    // The layer pushed running·(1 − m) + batch·m: recover the batch's own statistic from it.
    for (const [variable, updated] of ctx.bnUpdates!) {
      const own = tf.tidy(() => tf.div(tf.sub(updated, tf.mul(variable, 1 - BN_MOMENTUM)), BN_MOMENTUM));
      updated.dispose();
      const sum = sums.get(variable);
      sums.set(variable, sum ? tf.tidy(() => tf.add(sum, own)) : own);
      if (sum) {
        sum.dispose();
        own.dispose();
      }
    }
    count += 1;
  }
  for (const [variable, sum] of sums) {
    const mean = tf.div(sum, count);
    variable.assign(mean);
    mean.dispose();
    sum.dispose();
  }
  return count;
}
