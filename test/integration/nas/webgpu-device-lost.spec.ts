/**
 * A webgpu device that goes away under a run (driver reset, GPU removed; here: destroyed under the backend)
 * fails the next read with GpuFaultError at once, synchronously and asynchronously, instead of waiting forever
 * for data that will never come. Its own process: the device is gone for the rest of it.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/main/nas/engine/tf';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { GpuFaultError, SWIFTSHADER_ICD } from '../../../src/main/nas/engine/webgpu';

const icd = process.env.VK_ICD_FILENAMES || SWIFTSHADER_ICD;
const available = existsSync(icd);
if (available) process.env.VK_ICD_FILENAMES = icd;
process.env.XDG_RUNTIME_DIR ||= tmpdir();

describe.skipIf(!available)(`webgpu device loss${available ? '' : ` (skipped: ${icd} is absent)`}`, () => {
  afterAll(async () => {
    await initBackend('wasm');
  });

  it('reads fail with a device-lost GpuFaultError instead of hanging', async () => {
    await initBackend('webgpu');
    const before = tf.add(tf.tensor1d([1, 2]), 1);
    expect(Array.from(before.dataSync())).toEqual([2, 3]);
    const t = tf.mul(before, 3);
    const u = tf.mul(before, 4);
    (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
    // A loss is reported asynchronously (device.lost), as between two training steps.
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    let err: unknown = null;
    try {
      t.dataSync();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GpuFaultError);
    expect((err as GpuFaultError).kind).toBe('device-lost');
    expect((err as GpuFaultError).hint).toMatch(/Resume the run/);
    await expect(u.data()).rejects.toBeInstanceOf(GpuFaultError);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
