import { describe, expect, it } from 'vitest';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import {
  PEAK_PER_ACTIVATION_BYTE,
  PLANNED_SHARE,
  WASM_HEAP_BYTES,
  adviseMemory,
  isOutOfMemory,
  triageTrainingError,
} from '../../../../src/main/nas/engine/errors';
import { GpuFaultError } from '../../../../src/main/nas/engine/webgpu-faults';
import { estimateActivationBytes } from '../../../../src/main/nas/engine/recompute';
import { Rng } from '../../../../src/main/nas/engine/rng';
import { buildNb201Supernet } from '../../../../src/main/nas/spaces/nb201';

// The messages below are the ones tfjs-backend-wasm produced when the "big" supernet at batch 64 exhausted its
// heap (test/bench/train-step), V8's own allocation failure, and the abort of the wasm runtime.
const OOM_MESSAGES = [
  'XNN status for xnn_create_fully_connected_nc_f32 is not successful. Got status 6. Use -c dbg to see XNN logs.',
  'RuntimeError: memory access out of bounds',
  'RangeError: Array buffer allocation failed',
  'Aborted(). Build with -sASSERTIONS for more info.',
];
const MB = 2 ** 20;

describe('training error triage', () => {
  it('recognises out-of-memory failures and names the configuration without engine internals', () => {
    for (const message of OOM_MESSAGES) {
      expect(isOutOfMemory(new Error(message))).toBe(true);
      const t = triageTrainingError(new Error(message), { batchSize: 64, channels: 16, cells: 5, backend: 'wasm' });
      expect(t.message).toMatch(/^Out of memory: the supernet with batch 64, C = 16, 5 cells on the wasm backend does not fit in the WebAssembly backend’s memory/);
      expect(t.message + t.hint).not.toMatch(/Aborted|ASSERTIONS|XNN|RangeError|RuntimeError/);
      // Without a measurement no batch is promised to fit.
      expect(t.hint).toMatch(/smaller batch size or channel count C/);
      expect(t.hint).not.toMatch(/batch \d/);
    }
  });

  it('with the measured activations, suggests a configuration the memory model says fits, and says the failed one did not', () => {
    // Activations per image such that the model puts batch 64 at ~5.5 GB, over the 4 GB wasm heap.
    const perImage = 24 * MB;
    const shape = { batchSize: 64, channels: 16, cells: 5, backend: 'wasm' };
    const advice = adviseMemory(shape, { activationBytesPerImage: perImage, limitBytes: WASM_HEAP_BYTES });
    expect(advice.failedPeakBytes).toBeGreaterThan(WASM_HEAP_BYTES);
    const fits = advice.fits!;
    expect(fits.channels).toBe(16); // C kept while a smaller batch fits
    expect(fits.batchSize).toBeLessThan(64);
    expect(fits.batchSize % 8).toBe(0);
    expect(fits.peakBytes).toBeLessThanOrEqual(PLANNED_SHARE * WASM_HEAP_BYTES);
    // The largest such multiple of 8: the next one up would not fit.
    expect((fits.peakBytes / fits.batchSize) * (fits.batchSize + 8)).toBeGreaterThan(PLANNED_SHARE * WASM_HEAP_BYTES);
    // The peak follows the measured ratio of heap to activations.
    expect(fits.peakBytes).toBeCloseTo(PEAK_PER_ACTIVATION_BYTE * perImage * fits.batchSize, -3);

    const t = triageTrainingError(new Error(OOM_MESSAGES[3]), { ...shape, memory: { activationBytesPerImage: perImage, limitBytes: WASM_HEAP_BYTES } });
    expect(t.message).toMatch(/batch 64, C = 16, 5 cells on the wasm backend does not fit .* \(about \d+\.\d GB needed, estimated\)\.$/);
    expect(t.hint).toContain(`batch ${fits.batchSize} (C = 16)`);
  });

  it('when the model claims the failed configuration fits, it is calibrated by the failure and still suggests less', () => {
    // A model at 3.6× would put batch 32 at 1.8 GB, yet it failed: the suggestion must be well below 32.
    const advice = adviseMemory({ batchSize: 32, channels: 16, cells: 5 }, { activationBytesPerImage: 16 * MB, limitBytes: WASM_HEAP_BYTES });
    expect(advice.failedPeakBytes).toBeGreaterThanOrEqual(WASM_HEAP_BYTES);
    expect(advice.fits!.batchSize).toBeLessThanOrEqual(Math.floor(32 * PLANNED_SHARE));
  });

  it('lowers C when even batch 2 does not fit, and says so when nothing does', () => {
    const hugeC = adviseMemory({ batchSize: 16, channels: 64, cells: 5 }, { activationBytesPerImage: 800 * MB, limitBytes: WASM_HEAP_BYTES });
    expect(hugeC.fits!.channels).toBeLessThan(64);
    expect(hugeC.fits!.batchSize).toBe(8);
    expect(hugeC.fits!.peakBytes).toBeLessThanOrEqual(PLANNED_SHARE * WASM_HEAP_BYTES);
    const none = triageTrainingError(new Error('out of memory'), { batchSize: 8, channels: 4, cells: 20, backend: 'wasm', memory: { activationBytesPerImage: 4096 * MB, limitBytes: WASM_HEAP_BYTES } });
    expect(none.hint).toMatch(/Even batch 2 with C = 2 is estimated not to fit/);
  });

  it('the model’s assumption holds on a real supernet: activations grow linearly with C', async () => {
    await initBackend('cpu');
    const perImage = (channels: number) => {
      const net = buildNb201Supernet({ channels, cellsPerStage: 1, stages: 2, inputShape: [8, 8, 1], classes: 3 }, new Rng(1));
      try {
        return estimateActivationBytes(net, [8, 8, 1], 1);
      } finally {
        net.dispose();
      }
    };
    const ratio = perImage(8) / perImage(4);
    // Feature maps are linear in C; the logits and the input are not, so a little under 2.
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThanOrEqual(2);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('passes other errors through with their own hint', () => {
    const err = Object.assign(new Error('The training loss became NaN at epoch 3, step 40: the search diverged.'), { hint: 'Lower the weight learning rate (wLr).' });
    expect(isOutOfMemory(err)).toBe(false);
    expect(triageTrainingError(err, { batchSize: 64, channels: 16, cells: 5 })).toEqual({ message: err.message, hint: 'Lower the weight learning rate (wLr).' });
    expect(triageTrainingError(new Error('boom'), { batchSize: 8, channels: 4, cells: 1 })).toEqual({ message: 'boom', hint: null });
  });

  it('a GPU fault keeps its own words and the checkpoint to resume from, whatever the driver said', () => {
    const fault = new GpuFaultError('out-of-memory', 'Allocation failed: out of memory').withCheckpoint('/data/runs/7/checkpoints/e0001.ckpt');
    const t = triageTrainingError(fault, { batchSize: 64, channels: 16, cells: 5, backend: 'webgpu' });
    expect(t).toEqual({ message: fault.message, hint: fault.hint });
    expect(t.hint).toMatch(/resume the run.*The last checkpoint is \/data\/runs\/7\/checkpoints\/e0001\.ckpt\./i);
    expect(t.message).not.toMatch(/WebAssembly/);
  });
});
