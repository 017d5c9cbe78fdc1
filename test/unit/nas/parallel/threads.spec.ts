// resolveThreads (src/main/nas/parallel/threads.ts): how many threads a run trains on, and why when fewer than
// asked or than the machine has. Plain inputs: the machine's cores and load are parameters.
import { describe, expect, it } from 'vitest';
import { MIN_SAMPLES_PER_THREAD, machineThreadsContext, resolveThreads, type ThreadsContext } from '../../../../src/main/nas/parallel/threads';

const idleQuadCore: ThreadsContext = { cores: 4, loadAverage: 0, backend: 'wasm', batchSize: 64 };

describe('resolveThreads', () => {
  it("'auto' takes every idle core when the batch gives each at least the minimum share", () => {
    expect(resolveThreads('auto', idleQuadCore)).toEqual({ threads: 4, reason: null });
    expect(resolveThreads('auto', { ...idleQuadCore, backend: 'cpu' }).threads).toBe(4);
  });

  it("'auto' leaves busy cores alone (the 1-minute load, rounded) and says so", () => {
    const r = resolveThreads('auto', { ...idleQuadCore, loadAverage: 1.6 });
    expect(r.threads).toBe(2);
    expect(r.reason).toMatch(/busy \(load 1\.6 on 4 cores\).*2 idle ones/);
    expect(resolveThreads('auto', { ...idleQuadCore, loadAverage: 9 }).threads).toBe(1);
  });

  it("'auto' trains on one thread when shards would fall under the minimum, and says how to change it", () => {
    const small = resolveThreads('auto', { ...idleQuadCore, batchSize: MIN_SAMPLES_PER_THREAD * 2 - 1 });
    expect(small.threads).toBe(1);
    expect(small.reason).toMatch(/under 8 samples per thread.*raise the batch size or set threads explicitly/);
    expect(resolveThreads('auto', { ...idleQuadCore, batchSize: MIN_SAMPLES_PER_THREAD * 3 }).threads).toBe(3);
  });

  it('NAS_STUDIO_AUTO_THREADS decides what auto means, capped at the batch; a bad value is refused by name', () => {
    expect(resolveThreads('auto', { ...idleQuadCore, autoOverride: '3' })).toEqual({ threads: 3, reason: null });
    expect(resolveThreads('auto', { ...idleQuadCore, batchSize: 2, autoOverride: '3' }).threads).toBe(2);
    expect(resolveThreads('auto', { ...idleQuadCore, autoOverride: '1' }).threads).toBe(1);
    expect(() => resolveThreads('auto', { ...idleQuadCore, autoOverride: 'many' })).toThrow(/NAS_STUDIO_AUTO_THREADS must be a whole number/);
    // Explicit settings are the user's: the override does not touch them.
    expect(resolveThreads(2, { ...idleQuadCore, autoOverride: '1' }).threads).toBe(2);
  });

  it('an explicit N is honoured whatever the load, capped at the batch size with a reason', () => {
    expect(resolveThreads(3, { ...idleQuadCore, loadAverage: 8 })).toEqual({ threads: 3, reason: null });
    expect(resolveThreads(6, { ...idleQuadCore, cores: 2 }).threads).toBe(6);
    const capped = resolveThreads(8, { ...idleQuadCore, batchSize: 5 });
    expect(capped.threads).toBe(5);
    expect(capped.reason).toMatch(/8 threads asked.*batch of 5/);
  });

  it('GPU backends and strategies with a single-thread reason train on one thread, with that reason', () => {
    const gpu = resolveThreads(4, { ...idleQuadCore, backend: 'webgpu' });
    expect(gpu.threads).toBe(1);
    expect(gpu.reason).toMatch(/webgpu backend.*wasm and cpu/);
    const why = 'InstaNAS cannot split its steps yet.';
    expect(resolveThreads(4, { ...idleQuadCore, singleThreadReason: why })).toEqual({ threads: 1, reason: why });
  });

  it("reads this machine's cores, load and the suite's pinned auto", () => {
    const m = machineThreadsContext();
    expect(m.cores).toBeGreaterThanOrEqual(1);
    expect(m.loadAverage).toBeGreaterThanOrEqual(0);
    expect(m.autoOverride).toBe('1'); // vitest.config.mts pins it
  });
});
