import * as tf from '../engine/tf';
import type { Adam, NamedGrads } from '../engine/optim';
import type { Supernet } from '../engine/supernet';
import { unrolledAlphaGrads, type UnrolledSetting } from './darts-second-order';
import { disposeGrads, lossAndGrads } from './one-shot';

// DARTS's architecture step (ALGORITHMS.md §2): the α gradient on a validation batch, first order or
// unrolled through one virtual weight step (darts-second-order.ts), then Adam on α.

type Batch = { x: tf.Tensor4D; y: tf.Tensor1D };

export interface AlphaStepSetting extends UnrolledSetting {
  adam: Adam;
  order: 1 | 2;
  alphaLr: number;
}

export function dartsAlphaStep(s: AlphaStepSetting, t: Batch, v: Batch, lr: number): void {
  const grads = s.order === 1 ? lossAndGrads(s.net, v.x, v.y, s.alphas, { recompute: s.recompute }).grads : unrolledAlphaGrads(s, t, v, lr);
  stepAlphasKeepingDecided(s.net, s.adam, grads, s.alphaLr);
  disposeGrads(grads);
}

/** Adam step on α that leaves decided edges exactly as they were (their weight decay would move them). */
function stepAlphasKeepingDecided(net: Supernet, adam: Adam, grads: NamedGrads, alphaLr: number): void {
  const frozen = [...net.alphas].flatMap(([key, a]) => {
    const mask = net.masks.get(key);
    return mask ? [{ a, keep: mask.keep, before: tf.keep(a.clone()) }] : [];
  });
  adam.step(grads, alphaLr);
  for (const f of frozen) {
    tf.tidy(() => f.a.assign(tf.add(tf.mul(f.a, f.keep), tf.mul(f.before, tf.sub(1, f.keep)))));
    f.before.dispose();
  }
}
