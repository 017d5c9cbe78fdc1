import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHarness, type Harness } from './harness';

// The New-run pre-flight's estimate (runs.estimate) through the real app and a real probe process: a request
// that a newer one replaces answers `superseded` (not a server error), and the newest one is measured.

let dir: string;
let h: Harness;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nas-estimate-'));
  h = openHarness(dir);
  await h.call('datasets.importBuiltin', { which: 'demo' });
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runs.estimate', () => {
  it('answers a replaced request as superseded and measures the newest', async () => {
    const [demo] = await h.call<{ id: number }[]>('datasets.list');
    const config = (batchSize: number) => ({
      dataset: String(demo!.id),
      trainLimit: 200,
      batchSize,
      backend: 'wasm',
      space: { name: 'nb201', channels: 4, cells: 1 },
      strategy: { name: 'darts', epochs: 1 },
    });
    const older = h.call<any>('runs.estimate', { config: config(8) });
    const newer = h.call<any>('runs.estimate', { config: config(16) });
    const [a, b] = await Promise.all([older, newer]);
    expect(a.superseded).toBe(true);
    expect(a.memory).toBeNull();
    expect(b.superseded ?? false).toBe(false);
    expect(b.backend).toBe('wasm');
    expect(b.stepMs).toBeGreaterThan(0);
    // 200 images, half for the weights, batch 16: 7 steps (the last one partial).
    expect(b.stepsPerEpoch).toBe(7);
    expect(b.memory.fits).toBe(true);
  }, 120_000);
});
