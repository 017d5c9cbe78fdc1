// Collective operations between the replicas of a data-parallel step, through one SharedArrayBuffer and
// Atomics (no messages, no main thread in the loop): a barrier, an all-gather and a sum-all-reduce.
//
// Layout: an Int32 control block [generation, arrivals, abort], then two data regions (double buffering) of
// `size` slots × `capacity` float64 each. Round r writes region r % 2, so a fast replica can start writing
// round r + 1 while a slow one still reads round r; it cannot reach round r + 2 before every replica has
// passed the barrier of r + 1, i.e. finished reading r. Every replica makes the same sequence of calls
// (same program, same batch structure), so their round counters agree.
//
// Sums run over the ranks in order 0, 1, … in float64 on every replica, so all replicas get the very same
// bits and stay identical without broadcasting a result.

const GEN = 0;
const ARRIVALS = 1;
const ABORT = 2;
const CONTROL_INTS = 4; // padded to 16 bytes so the float64 regions are aligned
const WAIT_SLICE_MS = 1000;

export class ReplicaAbortedError extends Error {
  constructor() {
    super('Another training thread failed, so this one stopped too (see that thread\'s error).');
  }
}

/** A collective waited longer than its stall limit: a thread died without a word (killed, out of memory). */
export class ReplicaStalledError extends Error {
  constructor(readonly waitedMs: number) {
    super(`A training thread stopped responding (waited ${Math.round(waitedMs / 1000)} s for it in a data-parallel step): it may have run out of memory. Resume from the last checkpoint with fewer threads.`);
  }
}

/** Bytes of the shared buffer for `size` replicas exchanging up to `capacity` numbers per round. */
export function reducerBytes(size: number, capacity: number): number {
  return CONTROL_INTS * 4 + 2 * size * capacity * 8;
}

export function createReducerBuffer(size: number, capacity: number): SharedArrayBuffer {
  return new SharedArrayBuffer(reducerBytes(size, capacity));
}

/** Marks the exchange as failed and wakes every waiting replica (callable from any thread, main included). */
export function abortReducer(sab: SharedArrayBuffer): void {
  const ctrl = new Int32Array(sab, 0, CONTROL_INTS);
  Atomics.store(ctrl, ABORT, 1);
  Atomics.add(ctrl, GEN, 1);
  Atomics.notify(ctrl, GEN);
}

export class SharedReducer {
  private readonly ctrl: Int32Array;
  private readonly regions: [Float64Array, Float64Array];
  private round = 0;

  constructor(
    sab: SharedArrayBuffer,
    readonly rank: number,
    readonly size: number,
    readonly capacity: number,
    /**
     * How long one collective may wait for the others before this replica gives up (and aborts the exchange).
     * Replicas do the same work between collectives, so a healthy wait is short; only a thread that died
     * silently makes it long. Infinity = wait for ever (workers: the main thread terminates them).
     */
    readonly stallLimitMs = Infinity,
  ) {
    if (sab.byteLength < reducerBytes(size, capacity)) throw new Error(`Shared buffer too small for ${size} replicas × ${capacity} values.`);
    this.ctrl = new Int32Array(sab, 0, CONTROL_INTS);
    const regionLength = size * capacity;
    this.regions = [
      new Float64Array(sab, CONTROL_INTS * 4, regionLength),
      new Float64Array(sab, CONTROL_INTS * 4 + regionLength * 8, regionLength),
    ];
  }

  /** Waits until every replica has arrived (throws ReplicaAbortedError when one failed). */
  barrier(): void {
    const ctrl = this.ctrl;
    if (Atomics.load(ctrl, ABORT)) throw new ReplicaAbortedError();
    const gen = Atomics.load(ctrl, GEN);
    if (Atomics.add(ctrl, ARRIVALS, 1) === this.size - 1) {
      Atomics.store(ctrl, ARRIVALS, 0);
      Atomics.add(ctrl, GEN, 1);
      Atomics.notify(ctrl, GEN);
      return;
    }
    const started = Date.now();
    while (Atomics.load(ctrl, GEN) === gen) {
      Atomics.wait(ctrl, GEN, gen, WAIT_SLICE_MS);
      const waited = Date.now() - started;
      if (waited > this.stallLimitMs && Atomics.load(ctrl, GEN) === gen) {
        this.abort();
        throw new ReplicaStalledError(waited);
      }
    }
    if (Atomics.load(ctrl, ABORT)) throw new ReplicaAbortedError();
  }

  /** Marks the exchange failed (this replica hit an error) so the others stop waiting. */
  abort(): void {
    Atomics.store(this.ctrl, ABORT, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
  }

  /**
   * Every replica's `values` (same length on all), as views into shared memory, valid until this replica's
   * next-but-one collective call. `scale` multiplies this replica's values as they are written.
   */
  allGather(values: ArrayLike<number>, scale = 1): Float64Array[] {
    const n = values.length;
    if (n > this.capacity) throw new Error(`Exchange of ${n} values exceeds the shared buffer's ${this.capacity}.`);
    const region = this.regions[this.round % 2]!;
    this.round += 1;
    const mine = region.subarray(this.rank * this.capacity, this.rank * this.capacity + n);
    if (scale === 1) mine.set(values);
    else for (let i = 0; i < n; i++) mine[i] = values[i]! * scale;
    this.barrier();
    return Array.from({ length: this.size }, (_, r) => region.subarray(r * this.capacity, r * this.capacity + n));
  }

  /** Σ over replicas (in rank order) of scale·values, into `out` (a new Float64Array by default). */
  allReduceSum(values: ArrayLike<number>, scale = 1, out: Float64Array | Float32Array = new Float64Array(values.length)): Float64Array | Float32Array {
    const parts = this.allGather(values, scale);
    const n = values.length;
    const acc = out instanceof Float64Array ? out : new Float64Array(n);
    acc.set(parts[0]!);
    for (let r = 1; r < parts.length; r++) {
      const p = parts[r]!;
      for (let i = 0; i < n; i++) acc[i] += p[i]!;
    }
    if (acc !== out) (out as Float32Array).set(acc);
    return out;
  }
}
