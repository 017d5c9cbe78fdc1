/**
 * GPU faults on the webgpu backend end in a clear, typed error and never a hang: a tensor larger than the
 * adapter's maxBufferSize (refused by WebGPU validation, which tfjs does not notice) fails the next read with
 * GpuFaultError, synchronously and asynchronously; a device that goes away fails reads instead of waiting
 * forever (webgpu-device-lost.spec.ts); the job's error names the checkpoint a resume continues from. Its own
 * process (one vitest file): a fault poisons the device for the rest of the process, as it does for a run.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/main/nas/engine/tf';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { GpuFaultError, SWIFTSHADER_ICD, describeWebgpu } from '../../../src/main/nas/engine/webgpu';
import { checkpointFile, latestCheckpoint } from '../../../src/main/nas/job';

const icd = process.env.VK_ICD_FILENAMES || SWIFTSHADER_ICD;
const available = existsSync(icd);
if (available) process.env.VK_ICD_FILENAMES = icd;
process.env.XDG_RUNTIME_DIR ||= tmpdir();

const dir = mkdtempSync(join(tmpdir(), 'webgpu-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the fault error a job reports', () => {
  it('names the last checkpoint to resume from, or says there is none yet', () => {
    const runDir = join(dir, 'run');
    const fault = new GpuFaultError('device-lost', 'VK_ERROR_DEVICE_LOST\nmore detail');
    expect(fault.message).toMatch(/GPU device was lost.*VK_ERROR_DEVICE_LOST\)$/);
    expect(latestCheckpoint(runDir)).toBeNull();
    expect(fault.withCheckpoint(latestCheckpoint(runDir)).hint).toMatch(/Resume the run.*No checkpoint was written yet/);
    mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
    for (const [e, s, g] of [[0, 6, 6], [1, 6, 13], [0, 3, 3]] as const) writeFileSync(checkpointFile(runDir, e, s, g), 'x');
    const last = checkpointFile(runDir, 1, 6, 13);
    expect(latestCheckpoint(runDir)).toBe(last);
    const resumable = fault.withCheckpoint(last);
    expect(resumable).toBeInstanceOf(GpuFaultError);
    expect(resumable.message).toBe(fault.message);
    expect(resumable.hint).toContain(`The last checkpoint is ${last}.`);
    // Not worded as "out of memory": that would route to the WebAssembly heap advice.
    expect(new GpuFaultError('out-of-memory', 'x').message).not.toMatch(/out of memory/i);
  });
});

describe.skipIf(!available)(`webgpu faults on a real device${available ? '' : ` (skipped: ${icd} is absent)`}`, () => {
  afterAll(async () => {
    await initBackend('wasm');
  });

  it('a tensor beyond maxBufferSize: the read fails with a validation GpuFaultError, in time, sync and async', async () => {
    const { adapter } = await describeWebgpu();
    expect(adapter).not.toBeNull();
    await initBackend('webgpu');
    const small = tf.tensor1d([1, 2, 3]);
    expect(Array.from(small.dataSync())).toEqual([1, 2, 3]);
    // One float more than the largest buffer the device allows.
    const n = adapter!.maxBufferSize / 4 + 1;
    const started = Date.now();
    const big = tf.fill([n], 1);
    const sum = tf.sum(big);
    let err: unknown = null;
    try {
      sum.dataSync();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GpuFaultError);
    expect((err as GpuFaultError).kind).toBe('validation');
    expect((err as GpuFaultError).message).toMatch(/refused an operation.*max buffer size/i);
    expect((err as GpuFaultError).hint).toMatch(/smaller batch size or channel count/);
    await expect(small.data()).rejects.toBeInstanceOf(GpuFaultError);
    expect(Date.now() - started).toBeLessThan(60_000);
    tf.dispose([small, big, sum]);
  });
});
