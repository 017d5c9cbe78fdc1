// How data-parallel training splits a batch (engine/parallel/shard.ts): contiguous, covering, deterministic,
// the first B mod N shards one larger; a batch smaller than the thread count is refused with the fix.
import { describe, expect, it } from 'vitest';
import { shardBatch } from '../../../../src/main/nas/engine/parallel/shard';

describe('shardBatch', () => {
  it('covers the batch with contiguous shards whose sizes differ by at most one, larger first', () => {
    for (let threads = 1; threads <= 5; threads++) {
      for (let batch = threads; batch <= 40; batch++) {
        const shards = shardBatch(batch, threads);
        expect(shards).toHaveLength(threads);
        let next = 0;
        for (const s of shards) {
          expect(s.start).toBe(next);
          next += s.size;
        }
        expect(next).toBe(batch);
        const sizes = shards.map((s) => s.size);
        expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        expect(sizes[0]).toBe(Math.ceil(batch / threads));
      }
    }
  });

  it('splits an odd batch 5 / 4 on two threads', () => {
    expect(shardBatch(9, 2)).toEqual([
      { start: 0, size: 5 },
      { start: 5, size: 4 },
    ]);
  });

  it('refuses a batch smaller than the thread count, saying what to change', () => {
    expect(() => shardBatch(1, 2)).toThrow(/batch of 1 cannot be split across 2 training threads.*threads ≤ 1 or a larger batch/);
    expect(() => shardBatch(8, 0)).toThrow(/threads must be a whole number ≥ 1/);
  });
});
