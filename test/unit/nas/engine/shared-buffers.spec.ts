/**
 * Identity and same-dtype Cast sharing their input's buffer on wasm (kernels/shared-buffers.ts): a whole
 * DARTS search step gives bit-identical losses, weights, α and optimiser state with sharing on and off, many
 * steps leak no tensor and no wasm buffer, and the steps keep fewer buffers alive than the copying kernels.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { registerWasmTrainingKernels } from '../../../../src/main/nas/engine/kernels';
import { Rng, hashSeed } from '../../../../src/main/nas/engine/rng';
import { buildNb201Supernet } from '../../../../src/main/nas/spaces/nb201';
import { DartsSearch } from '../../../../src/main/nas/strategies/darts';
import { DEMO_NORMALIZATION, demoImages, differingKeys, snapshot, testConfig } from '../fixtures';

let dir = '';
beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'shared-buffers-'));
});
afterEach(() => registerWasmTrainingKernels({ shareBuffers: true }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const liveBuffers = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

function search(seed: number) {
  const images = demoImages(64);
  const net = buildNb201Supernet({ channels: 4, cellsPerStage: 1, stages: 1, inputShape: [images.height, images.width, 1], classes: images.classes }, new Rng(hashSeed(seed, 1)));
  return new DartsSearch(testConfig({ order: 2, batchSize: 16, seed, epochs: 1 }), net, { train: images, normalization: DEMO_NORMALIZATION }, () => {}, (e, s) => join(dir, `${seed}-${e}-${s}.ckpt`));
}

/** Runs `steps` search steps; returns the losses and every variable afterwards. */
function train(share: boolean, steps: number) {
  registerWasmTrainingKernels({ shareBuffers: share });
  const s = search(3);
  const losses = Array.from({ length: steps }, () => s.step().loss);
  const state = snapshot([...s.net.params.trainable, ...s.net.alphas]);
  s.dispose();
  return { losses, state };
}

describe('Identity and Cast share buffers on wasm', () => {
  it('a second-order search step is bit-identical with sharing on and off', () => {
    const copying = train(false, 2);
    const sharing = train(true, 2);
    expect(sharing.losses).toEqual(copying.losses);
    expect(differingKeys(sharing.state, copying.state)).toEqual([]);
  });

  it('identity, clone and same-dtype cast share the buffer; other casts still convert; nothing leaks', () => {
    registerWasmTrainingKernels({ shareBuffers: true });
    const before = liveBuffers();
    const x = tf.tensor1d([1.5, -2, 3]);
    const y = tf.clone(x);
    const z = tf.cast(x, 'float32');
    expect(liveBuffers() - before).toBe(1); // one buffer for three tensors
    expect([...y.dataSync()]).toEqual([1.5, -2, 3]);
    const i = tf.cast(x, 'int32');
    expect(i.dtype).toBe('int32');
    expect([...i.dataSync()]).toEqual([1, -2, 3]);
    x.dispose();
    expect([...z.dataSync()]).toEqual([1.5, -2, 3]); // still there while another tensor holds it
    tf.dispose([y, z, i]);
    expect(liveBuffers()).toBe(before);
  });

  it('many steps leak no tensor or buffer, and a step keeps fewer buffers alive than with copies', () => {
    const peakOf = (share: boolean) => {
      registerWasmTrainingKernels({ shareBuffers: share });
      const s = search(4);
      s.step(); // warm-up: optimiser slots exist from here on
      const tensors = tf.memory().numTensors;
      const buffers = liveBuffers();
      let peak = 0;
      // The tape's saved tensors are alive while the gradients are computed: count buffers inside tf.grad.
      const saved = tf.tidy(() => {
        const batch = tf.randomNormal([16, 14, 14, 1]);
        const { grads } = tf.variableGrads(() => {
          const loss = tf.mean(s.net.forward({ training: true, bnUpdates: null }, batch as tf.Tensor4D));
          peak = liveBuffers();
          return loss as tf.Scalar;
        });
        tf.dispose(Object.values(grads));
        return peak;
      });
      for (let k = 0; k < 3; k++) s.step();
      const leaked = { tensors: tf.memory().numTensors - tensors, buffers: liveBuffers() - buffers };
      s.dispose();
      return { saved, leaked };
    };
    const copying = peakOf(false);
    const sharing = peakOf(true);
    expect(sharing.leaked).toEqual({ tensors: 0, buffers: 0 });
    expect(copying.leaked).toEqual({ tensors: 0, buffers: 0 });
    expect(sharing.saved).toBeLessThan(copying.saved);
  });
});
