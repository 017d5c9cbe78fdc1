import type * as tf from './tf';
import type { ForwardContext } from './layers';
import type { ParamStore } from './params';

/** A weight-sharing network with architecture parameters, as every one-shot strategy sees it. */
export interface Supernet {
  /** Weights w and BN buffers. */
  readonly params: ParamStore;
  /** Architecture parameters by cell type ('cell' for NAS-Bench-201, 'normal'/'reduce' for DARTS), rows = edges. */
  readonly alphas: ReadonlyMap<string, tf.Variable>;
  /** Candidate op names, the columns of every α. */
  readonly ops: readonly string[];
  /** Logits for x; architecture weights are softmax(α) unless `weights` overrides them (same keys). */
  forward(ctx: ForwardContext, x: tf.Tensor4D, weights?: ReadonlyMap<string, tf.Tensor2D>): tf.Tensor2D;
  dispose(): void;
}
