import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/main/nas/engine/backend';

// The native packages are optionalDependencies that cannot install here (they download libtensorflow);
// these tests assert the fallback path that every CI and developer machine in this project takes.
async function nativeInstalled(): Promise<boolean> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(/* @vite-ignore */ pkg);
      return true;
    } catch {
      /* not installed */
    }
  }
  return false;
}

describe('initBackend', () => {
  it('auto picks the best available backend and explains the fallback in actionable words', async () => {
    const info = await initBackend('auto');
    expect(tf.getBackend()).toBe(info.backend);
    if (await nativeInstalled()) {
      expect(info.backend).toBe('tensorflow');
      return;
    }
    expect(info.backend).toBe('wasm');
    expect(info.device).toMatch(/^CPU \(WebAssembly(, SIMD)?(, \d+ threads per engine)?\)$/);
    expect(info.fallbackReason).toMatch(/@tensorflow\/tfjs-node-gpu/);
    expect(info.fallbackReason).toMatch(/internet/);
    expect(info.fallbackReason).toMatch(/npm install @tensorflow\/tfjs-node"/);
    // GPU users are pointed at webgpu first (no CUDA); tfjs-node-gpu only as the CUDA 11.2 special case.
    const reason = info.fallbackReason!;
    expect(reason).toMatch(/GPU.*choose the webgpu backend/);
    expect(reason.indexOf('webgpu')).toBeLessThan(reason.indexOf('tfjs-node-gpu works only with CUDA 11.2'));
    expect(reason).not.toMatch(/--backend/);
  });

  it('is idempotent and returns the backend to the chosen one', async () => {
    const a = await initBackend('auto');
    await tf.setBackend('cpu');
    const b = await initBackend('auto');
    expect(b).toEqual(a);
    expect(tf.getBackend()).toBe(a.backend);
  });

  it('an explicit preference that cannot be honoured throws a clear error', async () => {
    if (await nativeInstalled()) return;
    await expect(initBackend('tensorflow')).rejects.toThrow(/"tensorflow" was requested.*@tensorflow\/tfjs-node/s);
    await expect(initBackend('tensorflow')).rejects.toThrow(/npm install/);
  });

  it('explicit cpu and wasm preferences are honoured without a fallback reason', async () => {
    const cpu = await initBackend('cpu');
    expect(cpu).toEqual({ backend: 'cpu', device: expect.stringMatching(/^CPU/), fallbackReason: null });
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await initBackend('wasm');
    expect(wasm.backend).toBe('wasm');
    expect(wasm.fallbackReason).toBeNull();
    expect(tf.getBackend()).toBe('wasm');
  });

  it('the chosen backend can train: conv gradients (missing from stock wasm) are available', async () => {
    await initBackend('wasm');
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const f = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 0.3, 'float32', 2) as tf.Tensor4D);
    const opt = tf.train.adam(0.05);
    const loss = () => tf.mean(tf.square(tf.sub(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'), 1))) as tf.Scalar;
    const first = loss().dataSync()[0]!;
    for (let i = 0; i < 20; i++) opt.minimize(loss);
    const last = loss().dataSync()[0]!;
    expect(last).toBeLessThan(first * 0.8);
  });
});
