// Seeded pseudo-random generator with a serialisable state, used by the data pipeline and the search
// strategies so that a run is reproducible from its seed and resumable from a checkpoint.
//
// Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, passes PractRand and
// BigCrush), seeded through splitmix32 so that nearby seeds (0, 1, 2, …) give unrelated streams.

const TWO_32 = 4294967296;

/** splitmix32 step: returns [output, nextState]. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z = z ^ (z >>> 15);
  return [z >>> 0, next];
}

/** Mixes any number of integer keys into one 32-bit seed (order-sensitive). */
export function hashSeed(...keys: number[]): number {
  let h = 0x6a09e667;
  for (const key of keys) {
    if (!Number.isFinite(key)) throw new Error(`Seed keys must be finite numbers; got ${key}.`);
    // Fold in both 32-bit halves so seeds above 2^32 (e.g. Date.now()) still matter.
    const lo = key >>> 0;
    const hi = Math.floor(key / TWO_32) >>> 0;
    for (const part of [lo, hi]) {
      const [out] = splitmix32((h ^ part) | 0);
      h = Math.imul(out ^ (out >>> 13), 0x5bd1e995) ^ part;
    }
  }
  return splitmix32(h | 0)[0];
}

export type RngState = number[];

export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng seed must be a finite number; got ${seed}.`);
    let s = hashSeed(seed) | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [out, next] = splitmix32(s);
      words.push(out);
      s = next;
    }
    [this.a, this.b, this.c, this.d] = words;
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
    // Discard the first outputs, as the sfc32 author recommends.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A generator keyed by a seed plus any number of integers (epoch, batch index, …). */
  static derive(seed: number, ...keys: number[]): Rng {
    return new Rng(hashSeed(seed, ...keys));
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / TWO_32;
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling). 1 ≤ n ≤ 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_32) {
      throw new Error(`Rng.int(n) needs an integer 1 ≤ n ≤ 2^32; got ${n}.`);
    }
    const limit = TWO_32 - (TWO_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal sample (Box–Muller; no cached spare, so the state stays four words). */
  normal(mean = 0, std = 1): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  bernoulli(p = 0.5): boolean {
    return this.next() < p;
  }

  /** In-place Fisher–Yates shuffle; returns the same array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** Index drawn from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`categorical(): weight ${i} is ${w}; weights must be finite and ≥ 0.`);
      total += w;
    }
    if (total <= 0) throw new Error('categorical(): all weights are zero.');
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    // Rounding: return the last index with positive weight.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
    return weights.length - 1;
  }

  /** A copy with the same state (advancing one does not advance the other). */
  clone(): Rng {
    return Rng.fromState(this.state());
  }

  /** Plain JSON-serialisable state: four unsigned 32-bit integers. */
  state(): RngState {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  static fromState(s: RngState): Rng {
    if (
      !Array.isArray(s) ||
      s.length !== 4 ||
      !s.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_32)
    ) {
      throw new Error(`Invalid Rng state ${JSON.stringify(s)}: expected four unsigned 32-bit integers.`);
    }
    const r = Object.create(Rng.prototype) as Rng;
    r.a = s[0] | 0;
    r.b = s[1] | 0;
    r.c = s[2] | 0;
    r.d = s[3] | 0;
    return r;
  }
}
