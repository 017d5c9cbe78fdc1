import * as tf from '../engine/tf';
import type { ForwardContext } from '../engine/layers';
import type { ParamStore } from '../engine/params';
import type { Rng } from '../engine/rng';
import { symEig } from '../engine/spd/jacobi';
import { invSqrtEig, karcherMean, powerFunction, reEig, sandwich, spectralForward64, sqrtEig } from '../engine/spd';

// The SPD layers of SPDNetNAS (ALGORITHMS.md §7.1) on tensors [batch, channels, n, n]: BiMap (the SPD "conv"
// with Stiefel weights), ReEig and Riemannian batch norm. Which parameters live on which manifold is recorded
// in `SpdParams.manifolds`, so the strategy steps each one with the right Riemannian update.

export type Manifold = 'stiefel' | 'spd' | 'euclidean';

/** The network's parameters, and for each trainable one the manifold it lives on. */
export class SpdParams {
  readonly manifolds = new Map<string, Manifold>();
  constructor(
    readonly store: ParamStore,
    readonly rng: Rng,
  ) {}

  /** Adds a trainable variable directly (ParamStore's own factories are for Euclidean layers). */
  add(name: string, values: tf.Tensor, manifold: Manifold): tf.Variable {
    if (this.store.trainable.has(name)) throw new Error(`Duplicate parameter name '${name}'.`);
    const v = tf.variable(values, true, `${name}#spd${(SpdParams.serial += 1)}`);
    values.dispose();
    this.store.trainable.set(name, v);
    this.manifolds.set(name, manifold);
    return v;
  }

  buffer(name: string, values: tf.Tensor): tf.Variable {
    const v = tf.variable(values, false, `${name}#spd${(SpdParams.serial += 1)}`);
    values.dispose();
    this.store.buffers.set(name, v);
    return v;
  }

  private static serial = 0;

  /**
   * BiMap weights [cout, cin, nIn, nOut] on St(nIn, nOut): the eigenvectors of the nOut largest eigenvalues of
   * a random SPD matrix (its leading left singular vectors, the reference's initialisation), drawn from the
   * model's seeded RNG.
   */
  stiefel(name: string, cout: number, cin: number, nIn: number, nOut: number): tf.Variable {
    if (nOut > nIn) throw new Error(`BiMap '${name}' cannot map ${nIn}×${nIn} matrices to larger ${nOut}×${nOut} ones.`);
    const out = new Float32Array(cout * cin * nIn * nOut);
    for (let k = 0; k < cout * cin; k++) {
      const a = new Float64Array(nIn * nIn);
      for (let i = 0; i < nIn * nIn; i++) a[i] = this.rng.next() * 2 - 1;
      const spd = new Float64Array(nIn * nIn);
      for (let i = 0; i < nIn; i++) for (let j = 0; j < nIn; j++) {
        let s = 0;
        for (let t = 0; t < nIn; t++) s += a[i * nIn + t] * a[j * nIn + t];
        spd[i * nIn + j] = s;
      }
      const { vectors } = symEig(spd, nIn);
      for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) out[k * nIn * nOut + i * nOut + j] = vectors[i * nIn + (nIn - 1 - j)];
    }
    return this.add(name, tf.tensor4d(out, [cout, cin, nIn, nOut]), 'stiefel');
  }
}

export type SpdLayer = (ctx: ForwardContext, x: tf.Tensor4D) => tf.Tensor4D;

/** BiMap: Y_o = Σ_i W_{o,i}ᵀ X_i W_{o,i}, for x [B, cin, n, n] → [B, cout, m, m]. */
export function biMap(p: SpdParams, name: string, cin: number, cout: number, nIn: number, nOut: number): SpdLayer {
  const w = p.stiefel(name, cout, cin, nIn, nOut);
  return (_ctx, x) => {
    const b = x.shape[0];
    // Pair every (batch, out, in) triple: X_i repeated over outputs, W_{o,i} repeated over the batch.
    // (Rank-4 tiles: tfjs has no gradient for tiling rank-5 tensors.)
    const xs = tf.reshape(tf.tile(tf.reshape(x, [b, 1, cin * nIn, nIn]), [1, cout, 1, 1]), [b * cout * cin, nIn, nIn]);
    const ws = tf.reshape(tf.tile(tf.reshape(w, [1, cout * cin, nIn, nOut]), [b, 1, 1, 1]), [b * cout * cin, nIn, nOut]);
    const y = tf.matMul(ws, tf.matMul(xs, ws), true, false);
    return tf.sum(tf.reshape(y, [b, cout, cin, nOut, nOut]), 2) as tf.Tensor4D;
  };
}

export function reEigLayer(eps: number): SpdLayer {
  return (_ctx, x) => reEig(x, eps);
}

/** geodesic(A, B, t) in float64 (the running mean's update, outside the gradient). */
function geodesic64(a: ArrayLike<number>, b: ArrayLike<number>, n: number, t: number): Float32Array {
  const root = spectralForward64(a, n, powerFunction(0.5)).out;
  const invRoot = spectralForward64(a, n, powerFunction(-0.5)).out;
  const mul = (x: ArrayLike<number>, y: ArrayLike<number>) => {
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) out[i * n + j] += x[i * n + k] * y[k * n + j];
    return out;
  };
  const inner = mul(mul(invRoot, b), invRoot);
  const powered = spectralForward64(inner, n, powerFunction(t)).out;
  return Float32Array.from(mul(mul(root, powered), root));
}

/** Momentum of the running mean: R ← geodesic(R, G, 0.1) (§7.1). */
export const SPD_BN_MOMENTUM = 0.1;

/**
 * Riemannian batch norm (BatchNormSPD, §7.1) on n×n matrices: centre by the batch's Karcher mean G (one step,
 * over batch × channels) in training, by the running mean R in eval, then move to the SPD bias B:
 * B^{1/2} G^{-1/2} X G^{-1/2} B^{1/2}. B is trainable on the SPD manifold, R a buffer.
 */
export function batchNormSpd(p: SpdParams, name: string, n: number, karcherSteps = 1): SpdLayer {
  const bias = p.add(`${name}.bias`, tf.eye(n), 'spd');
  const running = p.buffer(`${name}.running_mean`, tf.eye(n));
  return (ctx, x) => {
    const [b, c] = x.shape;
    let centre: tf.Tensor;
    if (ctx.training) {
      const all = tf.reshape(x, [b * c, n, n]);
      const mean = karcherMean(all, tf.fill([b * c], 1 / (b * c)) as tf.Tensor1D, karcherSteps);
      centre = invSqrtEig(mean);
      if (ctx.bnUpdates) ctx.bnUpdates.push([running, tf.keep(tf.tensor2d(geodesic64(running.dataSync(), mean.dataSync(), n, SPD_BN_MOMENTUM), [n, n]))]);
    } else {
      centre = invSqrtEig(running);
    }
    const centred = sandwich(tf.broadcastTo(centre, x.shape), x);
    return sandwich(tf.broadcastTo(sqrtEig(bias), x.shape), centred) as tf.Tensor4D;
  };
}

/** Layers applied in order. */
export function chain(...layers: SpdLayer[]): SpdLayer {
  return (ctx, x) => layers.reduce((y, layer) => layer(ctx, y), x);
}
