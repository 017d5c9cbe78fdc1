import * as tf from './tf';

// Architecture weights with decided edges (SGAS, ALGORITHMS.md §3): an undecided edge mixes its ops with
// softmax(α_e); a fixed edge runs its chosen op with weight 1; a pruned edge contributes nothing. As one
// formula per cell type: W = softmax(α) ⊙ keep + fixed, where keep's row is 1 for undecided edges and 0
// otherwise, and fixed's row is one-hot for a fixed edge and zero otherwise. Decided rows then carry no
// gradient to α, exactly as if they had left the optimisation.

export interface EdgeMask {
  keep: tf.Tensor2D;
  fixed: tf.Tensor2D;
}

/**
 * Per cell type: op index per edge (−1 undecided, null pruned, k ≥ 0 the fixed op's column).
 * Owned by the supernet; a strategy changes it with `set`.
 */
export class ArchMasks {
  private readonly masks = new Map<string, EdgeMask>();
  private readonly selections = new Map<string, ReadonlyArray<number | null>>();

  get(key: string): EdgeMask | undefined {
    return this.masks.get(key);
  }

  /**
   * The decided edges of a cell type, for the cell builders: a fixed edge runs only its op and a pruned edge
   * nothing (the same result as the masked weights, without computing — or storing for the backward pass —
   * the ops weighted 0; that is what lets SGAS grow its batch).
   */
  selection(key: string): ReadonlyArray<number | null> | undefined {
    return this.selections.get(key);
  }

  set(key: string, selection: ReadonlyArray<number | null>, opCount: number): void {
    this.masks.get(key)?.keep.dispose();
    this.masks.get(key)?.fixed.dispose();
    if (selection.every((s) => s === -1)) {
      this.masks.delete(key);
      this.selections.delete(key);
      return;
    }
    this.selections.set(key, [...selection]);
    const keep = selection.map((s) => new Array<number>(opCount).fill(s === -1 ? 1 : 0));
    const fixed = selection.map((s) => Array.from({ length: opCount }, (_, k) => (s !== null && s >= 0 && s === k ? 1 : 0)));
    this.masks.set(key, { keep: tf.keep(tf.tensor2d(keep)), fixed: tf.keep(tf.tensor2d(fixed)) });
  }

  clear(): void {
    for (const m of this.masks.values()) {
      m.keep.dispose();
      m.fixed.dispose();
    }
    this.masks.clear();
    this.selections.clear();
  }
}

/** The architecture weights of one cell type, differentiable in α through the undecided rows only. */
export function archWeights(alpha: tf.Tensor, mask: EdgeMask | undefined): tf.Tensor2D {
  const p = tf.softmax(alpha) as tf.Tensor2D;
  return mask ? (tf.add(tf.mul(p, mask.keep), mask.fixed) as tf.Tensor2D) : p;
}
