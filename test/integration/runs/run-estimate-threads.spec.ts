import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHarness, type Harness } from './harness';

// runs.estimate with threads, through the real app and a real probe process: the threads the run would train
// on (resolved as the trainer resolves them), each thread's memory and the process's total, the step timed on them.

let dir: string;
let h: Harness;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nas-estimate-threads-'));
  h = openHarness(dir);
  await h.call('datasets.importBuiltin', { which: 'demo' });
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runs.estimate with threads', () => {
  it('sizes each of N threads and the process, and says why auto trains on fewer', async () => {
    const [demo] = await h.call<{ id: number }[]>('datasets.list');
    const config = (threads: number | 'auto') => ({
      dataset: String(demo!.id),
      trainLimit: 200,
      batchSize: 16,
      backend: 'wasm',
      threads,
      space: { name: 'nb201', channels: 4, cells: 1 },
      strategy: { name: 'darts', epochs: 1 },
    });
    const one = await h.call<any>('runs.estimate', { config: config(1) });
    const two = await h.call<any>('runs.estimate', { config: config(2) });
    expect(one.threads).toBe(1);
    expect(one.memory.threads).toBe(1);
    expect(one.memory.totalBytes).toBe(one.memory.estimateBytes);
    expect(two.threads).toBe(2);
    expect(two.threadsReason).toBeNull();
    expect(two.memory.threads).toBe(2);
    // One thread of two holds half the batch's activations; the two together hold two copies of the weights.
    expect(two.memory.estimateBytes).toBeLessThan(one.memory.estimateBytes);
    expect(two.memory.totalBytes).toBeGreaterThan(one.memory.estimateBytes);
    expect(two.memory.fits).toBe(true);
    // The step is timed as the run trains: on its two threads (a gradient pool), one thread at threads = 1.
    expect(two.stepMs).toBeGreaterThan(0);
    expect(two.stepThreads).toBe(2);
    expect(one.stepThreads).toBe(1);
    // The suite pins auto to one thread (vitest.config.mts), and the estimate says so.
    const auto = await h.call<any>('runs.estimate', { config: config('auto') });
    expect(auto.threads).toBe(1);
    expect(auto.threadsReason).toMatch(/NAS_STUDIO_AUTO_THREADS/);
  }, 180_000);
});
