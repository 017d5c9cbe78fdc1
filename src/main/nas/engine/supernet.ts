import type { ArchMasks } from './arch-weights';
import type * as tf from './tf';
import type { ForwardContext } from './layers';
import type { ParamStore } from './params';

/**
 * One piece of the forward pass, for gradient checkpointing (`engine/recompute.ts`): it maps a state tuple to
 * the next one. The first segment receives `[x]`, the last returns `[logits]`. A segment may pass an input
 * through unchanged by returning the very same tensor object (DARTS: (s0, s1) → (s1, cell(s0, s1))); the
 * recompute pass routes that output's gradient straight to the input. `run` must be deterministic and must
 * read architecture weights only from `weights` (never softmax(α) itself), so their gradient can be collected.
 */
export interface ForwardSegment {
  readonly name: string;
  run(ctx: ForwardContext, state: readonly tf.Tensor[], weights: ReadonlyMap<string, tf.Tensor2D>): tf.Tensor[];
}

/** A weight-sharing network with architecture parameters, as every one-shot strategy sees it. */
export interface Supernet {
  /** Weights w and BN buffers. */
  readonly params: ParamStore;
  /** Architecture parameters by cell type ('cell' for NAS-Bench-201, 'normal'/'reduce' for DARTS), rows = edges. */
  readonly alphas: ReadonlyMap<string, tf.Variable>;
  /** Decided edges per cell type (SGAS); empty for a plain one-shot search. */
  readonly masks: ArchMasks;
  /** Candidate op names, the columns of every α. */
  readonly ops: readonly string[];
  /** Logits for x; architecture weights are archWeights(α, mask) (softmax(α) when nothing is decided) unless `weights` overrides them (same keys). */
  forward(ctx: ForwardContext, x: tf.Tensor4D, weights?: ReadonlyMap<string, tf.Tensor2D>): tf.Tensor2D;
  /**
   * The forward pass as a chain of segments (stem, each cell / reduction block, head): running them in order
   * with `weights` = softmax(α) per key (or the overrides) is exactly `forward`. Optional: a net without it
   * cannot train with recompute.
   */
  segments?(): readonly ForwardSegment[];
  dispose(): void;
}
