import { resolve, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Batcher, EVAL_PREPROCESSING, SEARCH_AUGMENTATION, type Batch, type BatcherOptions } from '../../../../src/main/nas/data/batcher';
import { loadIdxPair } from '../../../../src/main/nas/data/idx';
import {
  FASHION_MNIST_NORMALIZATION,
  balancedSubset,
  classCounts,
  computeNormalization,
  splitTrainVal,
  type ImageSet,
} from '../../../../src/main/nas/data/image-set';
import { Rng } from '../../../../src/main/nas/engine/rng';

const DEMO = resolve(__dirname, '../../../../resources/demo-fashion-mnist');
const FMNIST = '/usr/share/datasets/fashion-mnist';
const norm = FASHION_MNIST_NORMALIZATION;

let demo: ImageSet;
beforeAll(() => {
  demo = loadIdxPair(join(DEMO, 'train-images-idx3-ubyte.gz'), join(DEMO, 'train-labels-idx1-ubyte.gz'), { classes: 10 });
});

function collect(b: Batcher, n: number): Batch[] {
  return Array.from({ length: n }, () => b.next());
}

function sameBatches(a: Batch[], b: Batch[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (x, i) =>
        Buffer.from(x.x.buffer).equals(Buffer.from(b[i].x.buffer)) &&
        Buffer.from(x.y.buffer).equals(Buffer.from(b[i].y.buffer)) &&
        x.epoch === b[i].epoch &&
        x.index === b[i].index,
    )
  );
}

/** The normalised value of pixel (row, col) of source image `src` after the plain pipeline. */
const normPixel = (set: ImageSet, src: number, row: number, col: number) =>
  (set.images[src * set.height * set.width + row * set.width + col] / 255 - norm.mean[0]) / norm.std[0];

describe('Rng', () => {
  it('is deterministic per seed, differs across seeds, and round-trips its state', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const saved = JSON.parse(JSON.stringify(a.state()));
    const cont = Array.from({ length: 50 }, () => a.int(7));
    const r = Rng.fromState(saved);
    expect(Array.from({ length: 50 }, () => r.int(7))).toEqual(cont);
  });

  it('is roughly uniform', () => {
    const r = new Rng(1);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[r.int(10)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    let mean = 0;
    for (let i = 0; i < 100_000; i++) mean += r.normal();
    expect(Math.abs(mean / 100_000)).toBeLessThan(0.02);
  });
});

describe('Batcher determinism and resume', () => {
  const opts = (seed: number): BatcherOptions => ({ batchSize: 64, seed, normalization: norm, ...SEARCH_AUGMENTATION });

  it('same seed → same batches; different seed → different batches', () => {
    const a = collect(new Batcher(demo, opts(7)), 60);
    const b = collect(new Batcher(demo, opts(7)), 60);
    const c = collect(new Batcher(demo, opts(8)), 60);
    expect(sameBatches(a, b)).toBe(true);
    expect(Array.from(a[0].indices)).not.toEqual(Array.from(c[0].indices));
    expect(sameBatches(a, c)).toBe(false);
    // Epochs are reshuffled.
    expect(a[47].epoch).toBe(1);
    expect(Array.from(a[47].indices)).not.toEqual(Array.from(a[0].indices));
  });

  it('resuming from a JSON state mid-epoch gives the identical remaining sequence', () => {
    const steps = new Batcher(demo, opts(3)).stepsPerEpoch; // 47 = ceil(3000/64)
    expect(steps).toBe(47);
    const uninterrupted = collect(new Batcher(demo, opts(3)), 2 * steps);

    const first = new Batcher(demo, opts(3));
    const before = collect(first, 20);
    const saved = JSON.parse(JSON.stringify(first.state()));
    expect(saved).toMatchObject({ seed: 3, epoch: 0, position: 20, count: 3000, batchSize: 64 });
    const resumed = Batcher.restore(demo, opts(3), saved);
    const after = collect(resumed, 2 * steps - 20);
    expect(sameBatches([...before, ...after], uninterrupted)).toBe(true);
  });

  it('refuses a state taken on another dataset or with another seed', () => {
    const b = new Batcher(demo, opts(3));
    b.next();
    const s = b.state();
    const smaller = balancedSubset(demo, 1000);
    expect(() => Batcher.restore(smaller, opts(3), s)).toThrow(/3000 images but this dataset holds 1000/);
    expect(() => Batcher.restore(demo, opts(4), s)).toThrow(/seed 3/);
  });

  it('every image appears exactly once per epoch (last batch partial)', () => {
    const b = new Batcher(demo, { batchSize: 64, seed: 11, normalization: norm });
    for (let epoch = 0; epoch < 2; epoch++) {
      const seen = new Uint8Array(demo.count);
      const sizes: number[] = [];
      for (const batch of b.epochBatches()) {
        expect(batch.epoch).toBe(epoch);
        sizes.push(batch.shape[0]);
        batch.indices.forEach((i, k) => {
          seen[i]++;
          expect(batch.y[k]).toBe(demo.labels[i]);
        });
      }
      expect(seen.every((v) => v === 1)).toBe(true);
      expect(sizes.length).toBe(47);
      expect(sizes[46]).toBe(3000 - 46 * 64);
    }
    expect(b.epoch).toBe(2);
  });

  it('dropLast drops the partial batch', () => {
    const b = new Batcher(demo, { batchSize: 64, seed: 11, normalization: norm, dropLast: true });
    expect(b.stepsPerEpoch).toBe(46);
    expect([...b.epochBatches()].every((x) => x.shape[0] === 64)).toBe(true);
  });
});

describe('Batcher preprocessing', () => {
  it('normalises a known pixel: (x/255 − 0.2859)/0.3530', () => {
    const b = new Batcher(demo, { batchSize: 8, seed: 1, shuffle: false, normalization: norm });
    const batch = b.next();
    expect(batch.shape).toEqual([8, 28, 28, 1]);
    // Find a bright pixel of image 0 and check the arithmetic by hand.
    let at = 0;
    for (let i = 0; i < 784; i++) if (demo.images[i] > demo.images[at]) at = i;
    const raw = demo.images[at];
    expect(raw).toBeGreaterThan(200);
    expect(batch.x[at]).toBeCloseTo((raw / 255 - 0.2859) / 0.353, 6);
    // A zero pixel maps to −mean/std.
    expect(batch.x[0]).toBeCloseTo(-0.2859 / 0.353, 6);
    expect(Array.from(batch.y)).toEqual(Array.from(demo.labels.subarray(0, 8)));
  });

  it('evaluation pads to 32×32 with no randomness: the centre 28×28 equals the original', () => {
    const b = new Batcher(demo, { batchSize: 16, seed: 5, shuffle: false, normalization: norm, ...EVAL_PREPROCESSING });
    const batch = b.next();
    expect(batch.shape).toEqual([16, 32, 32, 1]);
    const pad = -norm.mean[0] / norm.std[0];
    for (let k = 0; k < 16; k++) {
      for (let r = 0; r < 32; r++) {
        for (let c = 0; c < 32; c++) {
          const v = batch.x[k * 1024 + r * 32 + c];
          const inside = r >= 2 && r < 30 && c >= 2 && c < 30;
          const want = inside ? normPixel(demo, k, r - 2, c - 2) : pad;
          if (Math.abs(v - want) > 1e-6) throw new Error(`image ${k} (${r},${c}): ${v} ≠ ${want}`);
        }
      }
    }
    // Independent of the seed.
    const other = new Batcher(demo, { batchSize: 16, seed: 999, shuffle: false, normalization: norm, ...EVAL_PREPROCESSING }).next();
    expect(Buffer.from(other.x.buffer).equals(Buffer.from(batch.x.buffer))).toBe(true);
  });

  /** Finds the (dy, dx, flip) for which `img` is the padded crop of `src` (image row = out row − dy), or null. */
  function recoverCrop(img: Float32Array, set: ImageSet, src: number): { dy: number; dx: number; flip: boolean } | null {
    // 36×36 padded image, 32×32 window with top-left (cy, cx) ∈ [0, 4]²: image row = out row − (4 − cy),
    // so dy = 4 − cy ∈ [0, 4] (2 is the centred, evaluation placement).
    for (let dy = 0; dy <= 4; dy++) {
      for (let dx = 0; dx <= 4; dx++) {
        for (const flip of [false, true]) {
          let ok = true;
          for (let r = 0; r < 32 && ok; r++) {
            for (let c = 0; c < 32 && ok; c++) {
              const sr = r - dy;
              const sc = (flip ? 31 - c : c) - dx;
              const want = sr >= 0 && sr < 28 && sc >= 0 && sc < 28 ? normPixel(set, src, sr, sc) : -norm.mean[0] / norm.std[0];
              if (Math.abs(img[r * 32 + c] - want) > 1e-6) ok = false;
            }
          }
          if (ok) return { dy, dx, flip };
        }
      }
    }
    return null;
  }

  it('search augmentation: every output is a 32×32 window of the 36×36 zero-padded image, maybe mirrored', () => {
    const b = new Batcher(demo, { batchSize: 100, seed: 21, shuffle: false, normalization: norm, ...SEARCH_AUGMENTATION });
    const batch = b.next();
    expect(batch.shape).toEqual([100, 32, 32, 1]);
    for (let k = 0; k < 100; k++) {
      expect(recoverCrop(batch.x.subarray(k * 1024, (k + 1) * 1024), demo, k), `image ${k}`).not.toBeNull();
    }
  });

  it('search augmentation: crop offsets cover all 5×5 windows and about half the images are mirrored', () => {
    // An image with no zero pixels and no symmetry, so that the crop offset and the flip are identifiable.
    const n = 300;
    const one = Uint8Array.from({ length: 784 }, (_, i) => 1 + ((Math.floor(i / 28) * 31 + (i % 28) * 7) % 250));
    const images = new Uint8Array(n * 784);
    for (let k = 0; k < n; k++) images.set(one, k * 784);
    const set: ImageSet = { images, labels: new Uint8Array(n), count: n, height: 28, width: 28, channels: 1, classes: 1 };
    const batch = new Batcher(set, { batchSize: n, seed: 4, normalization: norm, ...SEARCH_AUGMENTATION }).next();
    const offsets = new Map<string, number>();
    let mirrored = 0;
    for (let k = 0; k < n; k++) {
      const found = recoverCrop(batch.x.subarray(k * 1024, (k + 1) * 1024), set, k);
      expect(found).not.toBeNull();
      const key = `${found!.dy},${found!.dx}`;
      offsets.set(key, (offsets.get(key) ?? 0) + 1);
      if (found!.flip) mirrored++;
    }
    const dys = [...offsets.keys()].map((k) => Number(k.split(',')[0]));
    expect(Math.min(...dys)).toBe(0);
    expect(Math.max(...dys)).toBe(4);
    expect(offsets.size).toBe(25); // all 5×5 windows occur in 300 draws
    expect(mirrored).toBeGreaterThan(110);
    expect(mirrored).toBeLessThan(190);
  });

  it('flip is an exact mirror', () => {
    // Crop fixed at the centre (pad 2 each side, like evaluation) so that only the flip varies.
    const plain = new Batcher(demo, { batchSize: 100, seed: 2, shuffle: false, normalization: norm, outputSize: [28, 28] }).next();
    const flipped = new Batcher(demo, { batchSize: 100, seed: 2, shuffle: false, normalization: norm, outputSize: [28, 28], flip: true }).next();
    let mirrored = 0;
    for (let k = 0; k < 100; k++) {
      const a = plain.x.subarray(k * 784, (k + 1) * 784);
      const b = flipped.x.subarray(k * 784, (k + 1) * 784);
      let same = true;
      let mirror = true;
      for (let r = 0; r < 28; r++) {
        for (let c = 0; c < 28; c++) {
          if (b[r * 28 + c] !== a[r * 28 + c]) same = false;
          if (b[r * 28 + c] !== a[r * 28 + (27 - c)]) mirror = false;
        }
      }
      expect(same || mirror).toBe(true);
      if (mirror && !same) mirrored++;
    }
    expect(mirrored).toBeGreaterThan(25);
    expect(mirrored).toBeLessThan(75);
  });
});

describe('subsets, splits and statistics', () => {
  it('computes the Fashion-MNIST mean/std from the data (0.2860 / 0.3530)', () => {
    const full = loadIdxPair(join(FMNIST, 'train-images-idx3-ubyte.gz'), join(FMNIST, 'train-labels-idx1-ubyte.gz'));
    const { mean, std } = computeNormalization(full);
    expect(mean[0]).toBeCloseTo(0.2859, 3);
    expect(std[0]).toBeCloseTo(0.353, 3);
  });

  it('balancedSubset takes the first images of each class in file order', () => {
    const sub = balancedSubset(demo, 100);
    expect(classCounts(sub)).toEqual(new Array(10).fill(10));
    // The first image of the subset is the first image of the set.
    expect(Buffer.from(sub.images.subarray(0, 784)).equals(Buffer.from(demo.images.subarray(0, 784)))).toBe(true);
    // A non-multiple spreads the remainder one per class; the seed picks which classes.
    const a = classCounts(balancedSubset(demo, 105, 1));
    const b = classCounts(balancedSubset(demo, 105, 1));
    expect(a).toEqual(b);
    expect(a.reduce((x, y) => x + y)).toBe(105);
    expect(a.every((c) => c === 10 || c === 11)).toBe(true);
  });

  it('splitTrainVal is a seeded 50/50 partition', () => {
    const s1 = splitTrainVal(demo, 0.5, 9);
    const s2 = splitTrainVal(demo, 0.5, 9);
    const s3 = splitTrainVal(demo, 0.5, 10);
    expect(s1.train.count).toBe(1500);
    expect(s1.val.count).toBe(1500);
    expect(Array.from(s1.trainIndices)).toEqual(Array.from(s2.trainIndices));
    expect(Array.from(s1.trainIndices)).not.toEqual(Array.from(s3.trainIndices));
    const all = new Set([...s1.trainIndices, ...s1.valIndices]);
    expect(all.size).toBe(3000);
    // The subsets carry the right pixels and labels.
    const i = s1.valIndices[17];
    expect(s1.val.labels[17]).toBe(demo.labels[i]);
    expect(Buffer.from(s1.val.images.subarray(17 * 784, 18 * 784)).equals(Buffer.from(demo.images.subarray(i * 784, (i + 1) * 784)))).toBe(true);
  });
});
