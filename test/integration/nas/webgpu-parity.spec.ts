/**
 * The webgpu backend (Dawn's Node binding + tfjs-backend-webgpu) computes what wasm computes, to float32
 * tolerance: every NAS-Bench-201 and DARTS candidate op forward and backward (the AvgPoolGrad border fix, the
 * dilated and separable convs, factorized reduce, the rank-6 pads of subsampling), the mixed op, one training
 * step of each space (loss, every gradient, the SGD update, BN running statistics) without tensor leaks, and a
 * checkpoint round trip between the two backends. On a machine without a GPU it runs on Chromium's SwiftShader
 * Vulkan driver (a software adapter); it skips itself only when that driver file is absent.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/main/nas/engine/tf';
import { initBackend, type BackendInfo } from '../../../src/main/nas/engine/backend';
import { loadCheckpoint, restoreVariables, saveCheckpoint } from '../../../src/main/nas/engine/checkpoint';
import type { ForwardContext } from '../../../src/main/nas/engine/layers';
import { mixedOp, type Candidate } from '../../../src/main/nas/engine/mixed-op';
import { Sgd, clipByGlobalNorm } from '../../../src/main/nas/engine/optim';
import { ParamStore } from '../../../src/main/nas/engine/params';
import { Rng } from '../../../src/main/nas/engine/rng';
import type { Supernet } from '../../../src/main/nas/engine/supernet';
import { SWIFTSHADER_ICD } from '../../../src/main/nas/engine/webgpu';
import { buildDartsSupernet, dartsCandidate } from '../../../src/main/nas/spaces/darts';
import { buildNb201Supernet, nb201Candidate } from '../../../src/main/nas/spaces/nb201';
import type { Batch } from '../../../src/main/nas/data/batcher';
import { batchTensors, disposeGrads, lossAndGrads } from '../../../src/main/nas/strategies/one-shot';
import { DARTS_OPS } from '../../../src/shared/spaces/darts';
import { NB201_OPS } from '../../../src/shared/spaces/nb201';
import { DEMO_NORMALIZATION, demoImages, randomTensor4d, relErr, sameBits } from '../../unit/nas/fixtures';

// A real GPU's Vulkan driver is used when VK_ICD_FILENAMES is already set; otherwise the software one. Set
// before Dawn loads (it loads lazily, on the first webgpu initialisation).
const icd = process.env.VK_ICD_FILENAMES || SWIFTSHADER_ICD;
const available = existsSync(icd);
if (available) process.env.VK_ICD_FILENAMES = icd;
// Dawn warns on every start when XDG_RUNTIME_DIR is unset.
process.env.XDG_RUNTIME_DIR ||= tmpdir();

/** Float32 tolerance for results summed in a different order (relative to the largest magnitude). */
const TOL = 1e-5;
/**
 * A whole training step chains hundreds of ops, and BN running means of near-zero-mean activations lose
 * relative precision to cancellation (measured worst 1.1e-4, in a running mean; gradients within 5e-5).
 */
const STEP_TOL = 2e-4;

type Results = Map<string, Float32Array>;

/** Run `compute` on wasm, then on webgpu; each call builds its own tensors from the same seeds. */
async function onBoth(compute: () => Results): Promise<{ wasm: Results; webgpu: Results }> {
  await initBackend('wasm');
  const wasm = compute();
  await initBackend('webgpu');
  const webgpu = compute();
  return { wasm, webgpu };
}

function expectClose(got: Results, want: Results, tol: number): number {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  let worst = 0;
  for (const [k, w] of want) {
    const e = relErr(got.get(k)!, w);
    if (!(e <= tol)) throw new Error(`${k}: webgpu differs from wasm by ${e} (relative), more than ${tol}`);
    worst = Math.max(worst, e);
  }
  return worst;
}

const TRAIN: ForwardContext = { training: true, bnUpdates: null };

/** Output and the gradients of a fixed random projection of it, with respect to the input and every weight. */
function forwardBackward(tag: string, op: Exclude<Candidate, null>, x: tf.Tensor4D, p: ParamStore, out: Results): void {
  tf.tidy(() => {
    const vars = [...p.trainable.entries()].filter(([k]) => k.startsWith(tag));
    const f = (input: tf.Tensor) => {
      const y = op(TRAIN, input as tf.Tensor4D);
      return tf.sum(tf.mul(y, randomTensor4d(y.shape, 99)));
    };
    const y = op(TRAIN, x);
    out.set(`${tag} out`, y.dataSync() as Float32Array);
    const dx = tf.grad((input: tf.Tensor) => f(input))(x);
    out.set(`${tag} dx`, dx.dataSync() as Float32Array);
    if (vars.length > 0) {
      const { grads } = tf.variableGrads(() => f(x) as tf.Scalar, vars.map(([, v]) => v));
      for (const [k, v] of vars) out.set(`${tag} d${k}`, grads[v.name]!.dataSync() as Float32Array);
    }
  });
}

function build(space: 'nb201' | 'darts'): Supernet {
  // C = 4, one cell per stage, a reduction included: tiny, but every op and both cell types.
  return space === 'nb201'
    ? buildNb201Supernet({ channels: 4, cellsPerStage: 1, stages: 2, inputShape: [14, 14, 1], classes: 10 }, new Rng(5))
    : buildDartsSupernet({ channels: 4, layers: 3, steps: 2, inputShape: [14, 14, 1], classes: 10 }, new Rng(5));
}

const images = () => demoImages(80);

function trainingBatch(): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const set = images();
  const idx = Array.from({ length: 8 }, (_, i) => i * 10);
  return batchTensors({ ...subsetBatch(set, idx) } as unknown as Batch);
}

function subsetBatch(set: ReturnType<typeof demoImages>, idx: number[]) {
  const px = set.height * set.width * set.channels;
  const x = new Float32Array(idx.length * px);
  idx.forEach((n, i) => {
    for (let j = 0; j < px; j++) x[i * px + j] = (set.images[n * px + j]! / 255 - DEMO_NORMALIZATION.mean[0]!) / DEMO_NORMALIZATION.std[0]!;
  });
  return { x, y: Int32Array.from(idx.map((n) => set.labels[n]!)), shape: [idx.length, set.height, set.width, set.channels] as [number, number, number, number] };
}

/** One SGD step of the whole supernet (weights and α), as a search's weight step does it. */
function trainingStep(net: Supernet, sgd: Sgd, names: Map<tf.Variable, string>, out: Results | null): void {
  const { x, y } = trainingBatch();
  const vars = [...names.keys()];
  const { loss, grads } = lossAndGrads(net, x, y, vars);
  if (out) {
    out.set('loss', Float32Array.of(loss));
    for (const v of vars) out.set(`grad ${names.get(v)}`, grads[v.name]!.dataSync() as Float32Array);
  }
  // The weight step (α's gradients are compared above; a search steps α with Adam on another batch).
  const weightGrads = byName(grads, names);
  for (const k of Object.keys(weightGrads)) if (k.startsWith('alpha.')) delete weightGrads[k];
  const clipped = clipByGlobalNorm(weightGrads, 5);
  sgd.step(clipped.grads, 0.025);
  disposeGrads(clipped.grads);
  disposeGrads(grads);
  x.dispose();
  y.dispose();
}

function byName(grads: Record<string, tf.Tensor>, names: Map<tf.Variable, string>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [v, name] of names) out[name] = grads[v.name]!;
  return out;
}

function namedVariables(net: Supernet): Map<tf.Variable, string> {
  const names = new Map<tf.Variable, string>();
  for (const [k, v] of net.params.trainable) names.set(v, k);
  for (const [k, v] of net.alphas) names.set(v, `alpha.${k}`);
  return names;
}

function allState(net: Supernet): Map<string, tf.Variable> {
  const m = new Map<string, tf.Variable>();
  for (const [k, v] of net.params.trainable) m.set(k, v);
  for (const [k, v] of net.params.buffers) m.set(k, v);
  for (const [k, v] of net.alphas) m.set(`alpha.${k}`, v);
  return m;
}

describe.skipIf(!available)(`webgpu parity with wasm${available ? '' : ` (skipped: ${icd} is absent; install Debian's chromium package for SwiftShader's Vulkan driver)`}`, () => {
  let info: BackendInfo;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webgpu-parity-'));
    info = await initBackend('webgpu');
  }, 120_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await initBackend('wasm');
  });

  it('initialises on a named adapter', () => {
    expect(info.backend).toBe('webgpu');
    expect(info.adapter).toBeTruthy();
    expect(info.device).toContain(info.adapter!.description || info.adapter!.vendor);
    if (info.adapter!.isFallbackAdapter) expect(info.device).toMatch(/software/);
  });

  it('every NAS-Bench-201 and DARTS candidate op, forward and backward (strides 1 and 2)', async () => {
    const { wasm, webgpu } = await onBoth(() => {
      const out: Results = new Map();
      const p = new ParamStore(new Rng(3));
      const x = randomTensor4d([2, 8, 8, 4], 7, 2);
      NB201_OPS.forEach((op) => {
        const c = nb201Candidate(p, `nb201.${op}`, op, 4);
        if (c) forwardBackward(`nb201.${op}`, c, x, p, out);
      });
      for (const stride of [1, 2]) {
        DARTS_OPS.forEach((op) => {
          const c = dartsCandidate(p, `darts${stride}.${op}`, op, 4, stride);
          if (c) forwardBackward(`darts${stride}.${op}`, c, x, p, out);
        });
      }
      x.dispose();
      return out;
    });
    expect(wasm.size).toBeGreaterThan(40);
    expectClose(webgpu, wasm, TOL);
  }, 300_000);

  it('the mixed op over all DARTS candidates: output and gradients of x, the op weights and every parameter', async () => {
    const { wasm, webgpu } = await onBoth(() => {
      const out: Results = new Map();
      tf.tidy(() => {
        const p = new ParamStore(new Rng(4));
        const candidates = DARTS_OPS.map((op) => dartsCandidate(p, `m.${op}`, op, 4, 1));
        const x = randomTensor4d([2, 8, 8, 4], 8, 2);
        const a = tf.variable(tf.tensor1d(Array.from({ length: candidates.length }, (_, i) => 0.1 * i - 0.3)));
        const f = () => {
          const y = mixedOp(TRAIN, x, tf.softmax(a) as tf.Tensor1D, candidates, 1);
          return tf.sum(tf.mul(y, randomTensor4d(y.shape, 98))) as tf.Scalar;
        };
        out.set('out', mixedOp(TRAIN, x, tf.softmax(a) as tf.Tensor1D, candidates, 1).dataSync() as Float32Array);
        const vars = [a, ...p.trainable.values()];
        const { grads } = tf.variableGrads(f, vars);
        out.set('d alpha', grads[a.name]!.dataSync() as Float32Array);
        for (const [k, v] of p.trainable) out.set(`d ${k}`, grads[v.name]!.dataSync() as Float32Array);
        a.dispose();
      });
      return out;
    });
    expectClose(webgpu, wasm, TOL);
  }, 300_000);

  for (const space of ['nb201', 'darts'] as const) {
    it(`${space}: one training step (loss, every gradient, the SGD update, BN statistics) matches, and later steps leak no tensors`, async () => {
      let leak: number[] = [];
      const { wasm, webgpu } = await onBoth(() => {
        const out: Results = new Map();
        const net = build(space);
        const names = namedVariables(net);
        const sgd = new Sgd(net.params.trainable, 0.9, 3e-4);
        trainingStep(net, sgd, names, out);
        for (const [k, v] of allState(net)) out.set(`after ${k}`, v.dataSync() as Float32Array);
        if (tf.getBackend() === 'webgpu') {
          // Step 1 compiled the shaders and created the optimiser's buffers: from step 2 on, nothing may pile up.
          const counts: number[] = [];
          for (let i = 0; i < 2; i++) {
            trainingStep(net, sgd, names, null);
            counts.push(tf.memory().numTensors);
          }
          leak = counts;
        }
        return out;
      });
      expect(leak[1]).toBe(leak[0]);
      expectClose(webgpu, wasm, STEP_TOL);
    }, 300_000);
  }

  it('a checkpoint round trip: written on webgpu, restored bit for bit on wasm, and back', async () => {
    await initBackend('webgpu');
    const gpuNet = build('nb201');
    const sgd = new Sgd(gpuNet.params.trainable, 0.9, 3e-4);
    trainingStep(gpuNet, sgd, namedVariables(gpuNet), null);
    const gpuState = allState(gpuNet);
    const path = join(dir, 'gpu.ckpt');
    await saveCheckpoint(path, gpuState, { from: 'webgpu' });
    const written = new Map([...gpuState].map(([k, v]) => [k, (v.dataSync() as Float32Array).slice()]));

    await initBackend('wasm');
    const cpuNet = build('nb201');
    const ckpt = loadCheckpoint(path);
    expect(ckpt.state).toEqual({ from: 'webgpu' });
    restoreVariables(ckpt, allState(cpuNet));
    for (const [k, v] of allState(cpuNet)) expect(sameBits(v.dataSync() as Float32Array, written.get(k)!), k).toBe(true);
    const back = join(dir, 'wasm.ckpt');
    await saveCheckpoint(back, allState(cpuNet), null);

    await initBackend('webgpu');
    const gpuNet2 = build('nb201');
    restoreVariables(loadCheckpoint(back), allState(gpuNet2));
    for (const [k, v] of allState(gpuNet2)) expect(sameBits(v.dataSync() as Float32Array, written.get(k)!), k).toBe(true);
  }, 300_000);
});
