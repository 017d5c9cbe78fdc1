import * as tf from '../engine/tf';
import type { NamedGrads, Sgd } from '../engine/optim';
import type { Supernet } from '../engine/supernet';
import { disposeGrads, lossAndGrads } from './one-shot';

type Batch = { x: tf.Tensor4D; y: tf.Tensor1D };

export interface UnrolledSetting {
  net: Supernet;
  weights: tf.Variable[];
  alphas: tf.Variable[];
  sgd: Sgd;
  momentum: number;
  wWeightDecay: number;
  recompute?: boolean;
}

/**
 * Second-order DARTS (ALGORITHMS.md §2): g_α = ∇_α L_val(w', α) − ξ·[∇_α L_train(w⁺) − ∇_α L_train(w⁻)]/(2ε),
 * w' = w − ξ(∇_w L_train + μm + λw), w± = w ± εv, v = ∇_w' L_val(w'), ε = 0.01/‖v‖. The weights are restored
 * afterwards. A weight outside the graph (an op of an edge SGAS has decided) has no gradient: it counts as 0.
 */
export function unrolledAlphaGrads(s: UnrolledSetting, t: Batch, v: Batch, xi: number): NamedGrads {
  const { net, weights, alphas, sgd } = s;
  const original = new Map(weights.map((w) => [w.name, tf.keep(w.clone())]));
  const zeros = new Map<string, tf.Tensor>();
  const gradOf = (grads: NamedGrads, w: tf.Variable): tf.Tensor => {
    const g = grads[w.name];
    if (g) return g;
    if (!zeros.has(w.name)) zeros.set(w.name, tf.keep(tf.zerosLike(w)));
    return zeros.get(w.name)!;
  };
  try {
    // Virtual step; BN statistics are left alone by the auxiliary passes.
    const train = lossAndGrads(net, t.x, t.y, weights, { updateBnStats: false, recompute: s.recompute });
    tf.tidy(() => {
      for (const w of weights) {
        const m = sgd.buffer(w.name);
        const dtheta = gradOf(train.grads, w).add(w.mul(s.wWeightDecay));
        const moment = m ? m.mul(s.momentum) : tf.zerosLike(w);
        w.assign(w.sub(moment.add(dtheta).mul(xi)));
      }
    });
    disposeGrads(train.grads);
    const valGrads = lossAndGrads(net, v.x, v.y, [...weights, ...alphas], { updateBnStats: false, recompute: s.recompute });
    const vec = weights.map((w) => gradOf(valGrads.grads, w));
    const norm = tf.tidy(() => tf.sqrt(tf.addN(vec.map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
    const eps = 0.01 / Math.max(norm, 1e-12);
    const perturbed = (sign: number): NamedGrads => {
      tf.tidy(() => weights.forEach((w, i) => w.assign(original.get(w.name)!.add(vec[i].mul(sign * eps)))));
      return lossAndGrads(net, t.x, t.y, alphas, { updateBnStats: false, recompute: s.recompute }).grads;
    };
    const plus = perturbed(1);
    const minus = perturbed(-1);
    const out: NamedGrads = {};
    for (const a of alphas) {
      out[a.name] = tf.tidy(() => valGrads.grads[a.name].sub(plus[a.name].sub(minus[a.name]).div(2 * eps).mul(xi)));
    }
    disposeGrads(plus);
    disposeGrads(minus);
    disposeGrads(valGrads.grads);
    return out;
  } finally {
    for (const w of weights) {
      w.assign(original.get(w.name)!);
      original.get(w.name)!.dispose();
    }
    for (const z of zeros.values()) z.dispose();
  }
}
