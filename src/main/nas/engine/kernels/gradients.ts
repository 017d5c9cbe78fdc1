/**
 * tfjs-core's gradient functions are registered by `../tf` (which imports register_all_gradients from the
 * same ESM copy of tfjs-core that the app bundles and the tests alias). Overrides registered here must run
 * after that registration, so they are applied through onGradientsLoaded.
 */
import * as tf from '../tf';

const afterLoad: Array<() => void> = [];

/** Run `fn` now (gradients are loaded with `../tf`), and again whenever ensureGradientsRegistered is called. */
export function onGradientsLoaded(fn: () => void): void {
  afterLoad.push(fn);
  fn();
}

/** Checks that gradients are present and (re-)applies the overrides; idempotent. */
export async function ensureGradientsRegistered(): Promise<void> {
  if (!tf.getGradient(tf.Sum)) {
    throw new Error('tfjs-core gradients are not registered: import the engine through src/main/nas/engine/tf.');
  }
  for (const fn of afterLoad) fn();
}
