import { beforeAll, describe, expect, it } from 'vitest';
import { SearchConfigSchema } from '../../../../src/shared/config';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { WASM_HEAP_BYTES } from '../../../../src/main/nas/engine/errors';
import { probeConfig } from '../../../../src/main/nas/estimation/step-probe';

// The pre-flight's memory estimate with N training threads, against real builds of the supernet (cpu backend):
// each thread's replica holds its own weights and the activations of its shard of the batch, so one thread of
// N at batch B must be sized as ONE thread at the largest shard ceil(B/N), and the process as the sum of the
// shards' replicas; "fits" is decided per thread heap, and `auto` recompute per shard.

const INPUT: [number, number, number] = [32, 32, 1];
const config = (batchSize: number, threads: number, recompute: 'auto' | 'on' | 'off' = 'off', space: Record<string, unknown> = { channels: 16, cells: 2 }) =>
  SearchConfigSchema.parse({ dataset: '1', batchSize, threads, augment: false, recompute, space: { name: 'nb201', ...space }, strategy: { name: 'darts' } });
/** NAS-Bench-201 at C = 16, N = 2 on 32×32 images: its largest one-thread batch and its recompute threshold lie well below the form's 1024. */
const WIDE = { channels: 16, cells: 2 };
const probe = (batch: number, threads: number, recompute: 'auto' | 'on' | 'off' = 'off', space?: Record<string, unknown>) =>
  probeConfig(config(batch, threads, recompute, space), INPUT, 10, WASM_HEAP_BYTES, 0);

describe('pre-flight memory estimate with N threads', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('sizes each thread as one replica at the largest shard, and the process as every replica together', async () => {
    const one = await probe(64, 1);
    const two = await probe(64, 2);
    const half = await probe(32, 1);
    expect(one.memory.threads).toBe(1);
    expect(one.memory.totalBytes).toBe(one.memory.estimateBytes);
    expect(two.memory.threads).toBe(2);
    // One thread of two at batch 64 holds what a single thread holds at batch 32 …
    expect(two.memory.estimateBytes).toBeCloseTo(half.memory.estimateBytes, -3);
    expect(two.memory.estimateBytes).toBeLessThan(one.memory.estimateBytes);
    // … and the process holds two of them: more than one thread at 64, since the weights' state is doubled.
    expect(two.memory.totalBytes).toBeCloseTo(2 * half.memory.estimateBytes, -3);
    expect(two.memory.totalBytes).toBeGreaterThan(one.memory.estimateBytes);
    expect(two.memory.totalBytes - one.memory.estimateBytes).toBeCloseTo(one.memory.weightBytes, -3);
    // The same weights whatever the thread count.
    expect(two.params).toBe(one.params);
  });

  it('splits an odd batch as the trainer does: the first shard one image larger', async () => {
    const three = await probe(9, 2);
    const [five, four] = await Promise.all([probe(5, 1), probe(4, 1)]);
    expect(three.memory.estimateBytes).toBeCloseTo(five.memory.estimateBytes, -3);
    expect(three.memory.totalBytes).toBeCloseTo(five.memory.estimateBytes + four.memory.estimateBytes, -3);
    // More threads than images: one image per thread, never an empty replica.
    const many = await probe(3, 8);
    expect(many.memory.threads).toBe(3);
    expect(many.memory.totalBytes).toBeCloseTo(3 * many.memory.estimateBytes, -3);
    expect(many.memory.estimateBytes).toBeLessThan((await probe(2, 1)).memory.estimateBytes);
  });

  it('decides "fits" per thread heap: a batch one thread cannot hold fits on two, and the largest batch grows', async () => {
    const largestOnOne = (await probe(1024, 1, 'off', WIDE)).memory.largestBatchThatFits!;
    expect(largestOnOne).toBeGreaterThan(8);
    expect(largestOnOne).toBeLessThan(256);
    const batch = largestOnOne * 2;
    const single = await probe(batch, 1, 'off', WIDE);
    const split = await probe(batch, 2, 'off', WIDE);
    expect(single.memory.fits).toBe(false);
    expect(split.memory.fits).toBe(true);
    // The two heaps together hold more than one heap's limit would allow: that is the point of N heaps.
    expect(split.memory.totalBytes).toBeGreaterThan(single.memory.limitBytes! * 0.75);
    const largestOnTwo = split.memory.largestBatchThatFits!;
    expect(largestOnTwo).toBeGreaterThanOrEqual(batch);
    expect((await probe(largestOnTwo, 2, 'off', WIDE)).memory.fits).toBe(true);
    expect((await probe(Math.min(1024, largestOnTwo * 2 + 16), 2, 'off', WIDE)).memory.fits).toBe(false);
  });

  it('turns auto recompute on per shard: a batch that needs it on one thread may not on two', async () => {
    // The smallest batch at which auto recompute turns on for one thread (binary search over real probes).
    let lo = 1;
    let hi = 512;
    const auto = (batch: number, threads: number) => probe(batch, threads, 'auto', WIDE);
    expect((await auto(hi, 1)).memory.recompute).toBe(true);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await auto(mid, 1)).memory.recompute) hi = mid;
      else lo = mid;
    }
    const threshold = hi;
    expect(threshold).toBeGreaterThan(2);
    // Two shards of ceil(threshold / 2) stay below it: no recompute; two shards of the threshold need it again.
    expect((await auto(threshold, 2)).memory.recompute).toBe(false);
    expect((await auto(2 * threshold, 2)).memory.recompute).toBe(true);
  });
});
