import { beforeAll, describe, expect, it } from 'vitest';
import type { BackendReport } from '../../../../src/shared/backends';
import { SearchConfigSchema } from '../../../../src/shared/config';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { chooseBackend } from '../../../../src/main/nas/engine/backend-verdict';
import { machineFacts, machineFingerprint } from '../../../../src/main/nas/engine/machine-fingerprint';
import { WASM_HEAP_BYTES } from '../../../../src/main/nas/engine/errors';
import { estimateMemory, extrapolateSize, type NarrowerFit } from '../../../../src/main/nas/estimation/memory-estimate';
import { probeConfig } from '../../../../src/main/nas/estimation/step-probe';

// The backend probe's decisions: which backend `auto` picks from the reports, the machine fingerprint the
// verdict is kept under, and the pre-flight's memory estimate (the supernet measured small and extrapolated)
// against real builds of the engine's supernets on the cpu backend.

function report(name: BackendReport['name'], over: Partial<BackendReport>): BackendReport {
  return { name, loads: true, device: name, adapter: null, reason: null, fix: null, eligibleForAuto: true, probeStepMs: null, memoryLimitBytes: null, ...over };
}
const softwareAdapter = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader', isFallbackAdapter: true, maxBufferSize: 1, maxStorageBufferBindingSize: 1 };

describe('auto verdict', () => {
  it('picks the fastest timed backend among those that load and may be picked', () => {
    const v = chooseBackend([
      report('tensorflow', { loads: false, eligibleForAuto: false }),
      report('webgpu', { probeStepMs: 40 }),
      report('wasm', { probeStepMs: 300 }),
      report('cpu', { eligibleForAuto: false }),
    ]);
    expect(v.chosen).toBe('webgpu');
    expect(v.why).toContain('webgpu 40 ms/step, wasm 300 ms/step');
    expect(v.why).toContain('tensorflow does not load');
  });

  it('never picks a software adapter or cpu, however fast they measured', () => {
    const v = chooseBackend([
      report('tensorflow', { loads: false, eligibleForAuto: false }),
      report('webgpu', { eligibleForAuto: false, adapter: softwareAdapter, probeStepMs: 1 }),
      report('wasm', { probeStepMs: 900 }),
      report('cpu', { eligibleForAuto: false, probeStepMs: 0.5 }),
    ]);
    expect(v.chosen).toBe('wasm');
    expect(v.why).toMatch(/webgpu \(software adapter\)/);
  });

  it('without timings, takes the first that loads in the fixed order, cpu last', () => {
    expect(chooseBackend([report('tensorflow', { loads: false }), report('webgpu', { loads: false }), report('wasm', {}), report('cpu', {})]).chosen).toBe('wasm');
    expect(chooseBackend([report('tensorflow', { loads: false }), report('webgpu', { loads: false }), report('wasm', { loads: false }), report('cpu', { eligibleForAuto: false })]).chosen).toBe('cpu');
  });
});

describe('machine fingerprint', () => {
  it('is stable, and changes with the app version or the Vulkan driver set-up', () => {
    const facts = machineFacts('1.0.0');
    expect(machineFingerprint('1.0.0', facts)).toBe(machineFingerprint('1.0.0', machineFacts('1.0.0')));
    expect(machineFingerprint('1.0.1', { ...facts, app: '1.0.1' })).not.toBe(machineFingerprint('1.0.0', facts));
    expect(machineFingerprint('1.0.0', { ...facts, gpu: { ...facts.gpu, vkIcdFiles: '/usr/lib/chromium/vk_swiftshader_icd.json' } })).not.toBe(machineFingerprint('1.0.0', facts));
    expect(facts.packages['@tensorflow/tfjs-backend-wasm']).toMatch(/^\d+\.\d+/);
  });
});

describe('pre-flight memory estimate', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  const config = (space: Record<string, unknown>, batchSize: number, recompute = 'auto') =>
    SearchConfigSchema.parse({ dataset: '1', batchSize, augment: false, recompute, space: { name: 'nb201', ...space }, strategy: { name: 'darts' } });

  it('extrapolates a supernet from two small builds to the size a real build has', async () => {
    const small = (channels: number, cells: number) => probeConfig(config({ channels, cells }, 8), [28, 28, 1], 10, null, 0);
    // Measured at C = 8 with 1 and 2 cells, extrapolated to C = 8, 3 cells; against a build of that size.
    const [one, two, real] = await Promise.all([small(8, 1), small(8, 2), small(8, 3)]);
    expect(real.params).toBeGreaterThan(two.params);
    const predicted = extrapolateSize(
      { channels: 8, cells: 1, activationBytesPerImage: one.memory.estimateBytes - one.memory.weightBytes, params: one.params, segments: 5 },
      { channels: 8, cells: 2, activationBytesPerImage: two.memory.estimateBytes - two.memory.weightBytes, params: two.params, segments: 8 },
      { channels: 8, cells: 3 },
    );
    expect(predicted.params).toBeCloseTo(real.params, 0);
    expect(predicted.activationBytesPerImage).toBeCloseTo(real.memory.estimateBytes - real.memory.weightBytes, -3);
    expect(predicted.segments).toBe(11);
  });

  it('flags batch 1024, C = 256, N = 30 on nb201 as not fitting the wasm heap, without building it', async () => {
    const p = await probeConfig(config({ channels: 256, cells: 30 }, 1024), [32, 32, 1], 10, WASM_HEAP_BYTES, 2);
    expect(p.memory.fits).toBe(false);
    expect(p.memory.estimateBytes).toBeGreaterThan(WASM_HEAP_BYTES);
    // Billions of weights: their optimiser state alone is over the limit, so no batch fits.
    expect(p.params).toBeGreaterThan(1e9);
    expect(p.memory.largestBatchThatFits).toBe(0);
    expect(p.stepMs).toBeNull();
  });

  it('when no batch fits, names the largest C that does at the run\'s batch and at batch 16', async () => {
    const p = await probeConfig(config({ channels: 256, cells: 30 }, 1024), [32, 32, 1], 10, WASM_HEAP_BYTES, 0);
    expect(p.memory.largestBatchThatFits).toBe(0);
    // At batch 1024 not even C = 2 fits 30 cells here; at batch 16 a real width does.
    expect(p.narrower.map((f) => f.batchSize)).toEqual([16]);
    const atSmall = p.narrower[0] as NarrowerFit;
    expect(atSmall.channels).toBeGreaterThanOrEqual(8);
    expect(atSmall.channels).toBeLessThan(256);
    // Each suggestion checked by a probe of that very config: C fits, C + 1 does not.
    for (const f of p.narrower) {
      const at = (channels: number) => probeConfig(config({ channels, cells: 30 }, f.batchSize), [32, 32, 1], 10, WASM_HEAP_BYTES, 0);
      const fitting = await at(f.channels);
      expect(fitting.memory.fits).toBe(true);
      expect(fitting.memory.estimateBytes).toBeCloseTo(f.estimateBytes, -3);
      expect((await at(f.channels + 1)).memory.fits).toBe(false);
    }
    // A run that fits is not given any.
    expect((await probeConfig(config({ channels: 8, cells: 1 }, 16), [32, 32, 1], 10, WASM_HEAP_BYTES, 0)).narrower).toEqual([]);
  });

  it('names the largest batch that fits when only the batch is too big', async () => {
    const p = await probeConfig(config({ channels: 16, cells: 2 }, 1024, 'off'), [32, 32, 1], 10, WASM_HEAP_BYTES, 0);
    expect(p.memory.fits).toBe(false);
    const largest = p.memory.largestBatchThatFits!;
    expect(largest).toBeGreaterThan(8);
    expect(largest).toBeLessThan(500);
    const size = { activationBytesPerImage: 0, params: p.params, segments: 0 };
    // The same supernet at the suggested batch fits, and a batch well above it does not.
    const at = (batch: number) => probeConfig(config({ channels: 16, cells: 2 }, batch, 'off'), [32, 32, 1], 10, WASM_HEAP_BYTES, 0);
    expect((await at(largest)).memory.fits).toBe(true);
    expect((await at(largest * 2 + 16)).memory.fits).toBe(false);
    expect(estimateMemory(size, { batchSize: 1, recompute: 'off', nativeMemory: false }, null).fits).toBeNull();
  });
});
