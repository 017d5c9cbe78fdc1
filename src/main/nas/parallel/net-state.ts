import * as tf from '../engine/tf';
import type { ArchMasks } from '../engine/arch-weights';
import type { ParamStore } from '../engine/params';
import { tensorChecksum } from '../engine/parallel/checksum';

// The state a gradient pool mirrors from the main thread's supernet into its workers' copies: every trainable
// weight, α and BN buffer under a stable name and a fixed slot of one shared Float32 buffer (tfjs's own
// variable names carry a per-process serial, so they differ between threads), plus the architecture masks.

export interface StateSlot {
  /** Stable name: `w/<param>`, `alpha/<cell type>` or `buf/<buffer>`. */
  name: string;
  variable: tf.Variable;
  /** Offset in float32 elements in the shared state buffer. */
  offset: number;
}

/** What a pool mirrors: a search's supernet (weights, α, masks) or a retrain's network (weights only). */
export interface MirroredNet {
  readonly params: ParamStore;
  readonly alphas?: ReadonlyMap<string, tf.Variable>;
  readonly masks?: ArchMasks;
  readonly ops?: readonly string[];
  dispose(): void;
}

/** Edge decisions per cell type (ArchMasks.selection), null where nothing is decided. */
export type MaskState = Record<string, Array<number | null> | null>;

export class NetState {
  readonly slots: StateSlot[];
  /** Total float32 elements of every slot. */
  readonly size: number;
  private readonly byVariableName = new Map<string, number>();

  constructor(readonly net: MirroredNet) {
    const named: Array<[string, tf.Variable]> = [
      ...[...net.params.trainable].map(([k, v]) => [`w/${k}`, v] as [string, tf.Variable]),
      ...[...(net.alphas ?? [])].map(([k, v]) => [`alpha/${k}`, v] as [string, tf.Variable]),
      ...[...net.params.buffers].map(([k, v]) => [`buf/${k}`, v] as [string, tf.Variable]),
    ];
    let offset = 0;
    this.slots = named.map(([name, variable], i) => {
      this.byVariableName.set(variable.name, i);
      const slot = { name, variable, offset };
      offset += variable.size;
      return slot;
    });
    this.size = offset;
  }

  /** Slot index of one of this net's variables (by tfjs name); throws for a variable the net does not own. */
  indexOf(variable: tf.Variable): number {
    const i = this.byVariableName.get(variable.name);
    if (i === undefined) throw new Error(`Variable '${variable.name}' does not belong to the supernet this gradient pool mirrors.`);
    return i;
  }

  /** Elements of the widest BN buffer (a BN layer's channel count). */
  widestBuffer(): number {
    return Math.max(0, ...this.slots.filter((s) => s.name.startsWith('buf/')).map((s) => s.variable.size));
  }

  bufferSlots(): StateSlot[] {
    return this.slots.filter((s) => s.name.startsWith('buf/'));
  }

  /** A description of the layout; two threads' nets mirror each other only when these agree. */
  layout(): string {
    return this.slots.map((s) => `${s.name}:${s.variable.shape.join('x')}`).join(';');
  }

  masks(): MaskState {
    const out: MaskState = {};
    const { alphas, masks } = this.net;
    if (!alphas || !masks) return out;
    for (const key of alphas.keys()) {
      const sel = masks.selection(key);
      out[key] = sel ? [...sel] : null;
    }
    return out;
  }

  setMasks(masks: MaskState): void {
    const { alphas, masks: target, ops } = this.net;
    if (!alphas || !target || !ops) return;
    for (const [key, sel] of Object.entries(masks)) {
      const rows = alphas.get(key)?.shape[0] ?? 0;
      // All −1 = nothing decided, which ArchMasks.set turns into "no mask".
      target.set(key, sel ?? new Array<number>(rows).fill(-1), ops.length);
    }
  }

  /** Writes slot `i`'s current values into the shared state buffer. */
  write(state: Float32Array, i: number): void {
    const s = this.slots[i]!;
    state.set(s.variable.dataSync() as Float32Array, s.offset);
  }

  /** Assigns slot `i` from the shared state buffer. */
  read(state: Float32Array, i: number): void {
    const s = this.slots[i]!;
    const values = state.subarray(s.offset, s.offset + s.variable.size);
    tf.tidy(() => s.variable.assign(tf.tensor(values, s.variable.shape, 'float32')));
  }

  /** SHA-256 over every slot's bytes and the masks: equal on two threads exactly when they mirror each other. */
  checksum(): string {
    const masks = tf.tensor1d(new TextEncoder().encode(JSON.stringify(this.masks())), 'int32');
    try {
      return tensorChecksum([...this.slots.map((s) => [s.name, s.variable] as const), ['masks', masks] as const]);
    } finally {
      masks.dispose();
    }
  }
}
