// Shared helpers for the NAS engine tests (not a spec file): deterministic inputs, tensor comparisons, small
// real-image datasets and tiny search configurations.
import * as tf from '../../../src/main/nas/engine/tf';
import { balancedSubset, type ImageSet, FASHION_MNIST_NORMALIZATION } from '../../../src/main/nas/data/image-set';
import { loadDemoDataset } from '../../../src/main/nas/data/mnist-family';
import { Rng } from '../../../src/main/nas/engine/rng';
import type { DartsConfig } from '../../../src/main/nas/strategies/darts';

/** Deterministic uniform(−1, 1) values (mulberry32), so a failure is reproducible. */
export function randomArray(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * scale + offset;
  return out;
}

export function randomTensor4d(shape: [number, number, number, number], seed: number, scale = 1): tf.Tensor4D {
  return tf.tensor4d(randomArray(shape.reduce((a, b) => a * b, 1), seed, scale), shape);
}

/** Largest |a − b| relative to the largest |b| (1 if b is all zeros). */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  // A tensor passed by mistake has no length: that must fail loudly, not compare nothing and return 0.
  if (typeof got?.length !== 'number' || typeof want?.length !== 'number') throw new Error('relErr compares arrays, not tensors: pass .dataSync()');
  if (got.length !== want.length) throw new Error(`length ${got.length} ≠ ${want.length}`);
  if (want.length === 0) throw new Error('relErr of empty arrays');
  let err = 0;
  let ref = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    ref = Math.max(ref, Math.abs(want[i]));
  }
  return err / (ref || 1);
}

/** True when two float arrays hold exactly the same bits (−0 ≠ +0, NaN = NaN with the same payload). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

/** Every variable of a map as a plain Float32Array copy, by key. */
export function snapshot(vars: Iterable<[string, tf.Variable]>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of vars) out.set(k, (v.dataSync() as Float32Array).slice());
  return out;
}

/** Keys whose values differ in at least one bit (missing keys count as different). */
export function differingKeys(a: Map<string, Float32Array>, b: Map<string, Float32Array>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => !a.has(k) || !b.has(k) || !sameBits(a.get(k)!, b.get(k)!));
}

let demoCache: ImageSet | null = null;

/**
 * `count` class-balanced real Fashion-MNIST demo images, 2×2-average-pooled from 28×28 to 14×14 so the tiny
 * test networks stay fast.
 */
export function demoImages(count: number): ImageSet {
  demoCache ??= loadDemoDataset().train;
  const full = balancedSubset(demoCache, count, 0);
  const H = 14;
  const W = 14;
  const images = new Uint8Array(full.count * H * W);
  for (let n = 0; n < full.count; n++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const base = n * 28 * 28;
        const s =
          full.images[base + 2 * y * 28 + 2 * x] +
          full.images[base + 2 * y * 28 + 2 * x + 1] +
          full.images[base + (2 * y + 1) * 28 + 2 * x] +
          full.images[base + (2 * y + 1) * 28 + 2 * x + 1];
        images[n * H * W + y * W + x] = Math.round(s / 4);
      }
    }
  }
  return { images, labels: full.labels.slice(), count: full.count, height: H, width: W, channels: 1, classes: full.classes };
}

export const DEMO_NORMALIZATION = { mean: [...FASHION_MNIST_NORMALIZATION.mean], std: [...FASHION_MNIST_NORMALIZATION.std] };

/** A DARTS search configuration for tests: the paper's optimiser settings, no augmentation (images keep their size). */
export function testConfig(overrides: Partial<DartsConfig> = {}): DartsConfig {
  return {
    order: 1,
    epochs: 3,
    batchSize: 8,
    seed: 7,
    trainPortion: 0.5,
    augment: false,
    wLr: 0.025,
    wLrMin: 0.001,
    momentum: 0.9,
    wWeightDecay: 3e-4,
    gradClip: 5,
    alphaLr: 3e-4,
    alphaWeightDecay: 1e-3,
    alphaBeta1: 0.5,
    alphaBeta2: 0.999,
    ...overrides,
  };
}
