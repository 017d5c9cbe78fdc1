/**
 * Data-parallel `lossAndGrads` (src/main/nas/parallel/gradient-pool.ts): real worker_threads, each with its own
 * wasm backend and a copy of the supernet that the main thread mirrors per call, exchanging BN statistics and
 * gradients through a SharedArrayBuffer.
 * - through `lossAndGrads` with a pool of 2 (and 3 on an odd batch), the gradients of weights and α equal the
 *   single-thread full-batch gradients (NB201 and DARTS, with and without recompute, with SGAS-style masks);
 *   the per-worker-BN difference is printed, not asserted away;
 * - the mirrored copies match main's checksum after weights, α and masks change; no tensors leak in main;
 * - a worker that fails mid-call ends the call with an error naming the thread, and one that dies silently
 *   fails the step after the stall limit: neither hangs.
 * Needs the built worker entry: run `npm run build` first.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/main/nas/engine/tf';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { Rng } from '../../../src/main/nas/engine/rng';
import type { Supernet } from '../../../src/main/nas/engine/supernet';
import { spaceImplementation } from '../../../src/main/nas/spaces/registry';
import { SpaceConfigSchema, type SpaceConfig } from '../../../src/shared/spaces/registry';
import { GradientPool, attachPool } from '../../../src/main/nas/parallel/gradient-pool';
import { NetState } from '../../../src/main/nas/parallel/net-state';
import { disposeGrads, lossAndGrads, singleThreadLossAndGrads } from '../../../src/main/nas/strategies/one-shot';
import { randomArray, relErr } from '../../unit/nas/fixtures';

const SCRIPT = path.resolve('out/main/parallel-replica.js');
const FAULTY = path.resolve('test/integration/nas/fixtures/faulty-pool-worker.mjs');
const EXITING = path.resolve('test/integration/nas/fixtures/exiting-pool-worker.mjs');
const STALE = path.resolve('test/integration/nas/fixtures/stale-pool-worker.mjs');
const INPUT: [number, number, number] = [16, 16, 1];
const CLASSES = 3;
const TOL = 1e-4;

const SPACES: Record<'nb201' | 'darts', SpaceConfig> = {
  nb201: SpaceConfigSchema.parse({ name: 'nb201', channels: 4, cells: 1 }),
  darts: SpaceConfigSchema.parse({ name: 'darts', channels: 4, cells: 2, nodes: 2 }),
};

function build(space: SpaceConfig): Supernet {
  return spaceImplementation(space).build(space, INPUT, CLASSES, new Rng(5));
}

function batch(seed: number, n: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const x = tf.tensor4d(randomArray(n * 256, seed, 2), [n, ...INPUT]);
  const y = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % CLASSES), 'int32');
  return { x, y };
}

/** Gradients of every weight and α by stable name, as plain arrays. */
function named(net: Supernet, grads: Record<string, tf.Tensor>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const s of new NetState(net).slots) if (grads[s.variable.name]) out[s.name] = grads[s.variable.name]!.dataSync() as Float32Array;
  disposeGrads(grads);
  return out;
}

function worst(got: Record<string, Float32Array>, want: Record<string, Float32Array>, prefix = '') {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  let err = 0;
  let at = '';
  for (const k of Object.keys(want).filter((k) => k.startsWith(prefix))) {
    const e = relErr(got[k]!, want[k]!);
    if (e > err) [err, at] = [e, k];
  }
  return { err, at };
}

const trainables = (net: Supernet) => [...net.params.trainable.values(), ...net.alphas.values()];

beforeAll(async () => {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run "npm run build" first.`);
  await initBackend('wasm');
});

describe('lossAndGrads through a gradient pool equals the single-thread full-batch result', () => {
  const cases = [
    { space: 'nb201', threads: 2, b: 8, recompute: false },
    { space: 'nb201', threads: 3, b: 9, recompute: false },
    { space: 'darts', threads: 2, b: 9, recompute: false },
    { space: 'darts', threads: 2, b: 8, recompute: true },
  ] as const;
  for (const c of cases) {
    it(`${c.space}, ${c.threads} threads, batch ${c.b}${c.recompute ? ', recompute' : ''}: synced BN matches; per-worker BN's difference is reported`, async () => {
      const space = SPACES[c.space];
      const net = build(space);
      const { x, y } = batch(11, c.b);
      const options = { updateBnStats: false, recompute: c.recompute };
      const ref = singleThreadLossAndGrads(net, x, y, trainables(net), options);
      const want = named(net, ref.grads);
      const pools: GradientPool[] = [];
      try {
        const report: string[] = [];
        for (const bn of ['sync', 'per-worker'] as const) {
          const pool = await GradientPool.start({ threads: c.threads, bn, space, inputShape: INPUT, classes: CLASSES, backend: 'wasm', workerScript: SCRIPT });
          pools.push(pool);
          attachPool(net, pool);
          const r = lossAndGrads(net, x, y, trainables(net), options);
          const got = named(net, r.grads);
          const all = worst(got, want);
          const alpha = worst(got, want, 'alpha/');
          report.push(`${bn} BN: worst relative gradient error ${all.err.toExponential(2)} (${all.at}), α ${alpha.err.toExponential(2)}, loss ${r.loss} vs ${ref.loss}`);
          if (bn === 'sync') {
            expect(all.err).toBeLessThan(TOL);
            expect(Math.abs(r.loss - ref.loss)).toBeLessThan(1e-5 * Math.abs(ref.loss) + 1e-6);
            expect(r.correct).toBe(ref.correct);
          }
          await pool.dispose();
        }
        console.log(`${c.space} B=${c.b} on ${c.threads} threads${c.recompute ? ' (recompute)' : ''}: ${report.join('; ')}`);
      } finally {
        for (const p of pools) await p.dispose();
        tf.dispose([x, y]);
        net.dispose();
      }
    });
  }

  it('mirrors changed weights, α, BN statistics and SGAS-style masks; leaks no tensors over many calls', async () => {
    const space = SPACES.darts;
    const net = build(space);
    const pool = await GradientPool.start({ threads: 2, bn: 'sync', space, inputShape: INPUT, classes: CLASSES, backend: 'wasm', workerScript: SCRIPT });
    try {
      attachPool(net, pool);
      const vars = trainables(net);
      let tensorsAfterFirst = -1;
      for (let s = 0; s < 12; s++) {
        const { x, y } = batch(100 + s, s % 2 ? 9 : 8);
        // An SGD-like change of every weight and α (new tensors, so new dataIds) and, midway, a decided edge.
        const r = lossAndGrads(net, x, y, vars, {});
        for (const v of vars) if (r.grads[v.name]) tf.tidy(() => v.assign(tf.sub(v, tf.mul(r.grads[v.name]!, 0.05))));
        disposeGrads(r.grads);
        tf.dispose([x, y]);
        if (s === 5) net.masks.set('normal', [2, -1, null, -1, -1], net.ops.length);
        if (s === 5) tensorsAfterFirst = tf.memory().numTensors; // the mask's own two tensors included
        expect(pool.verify(net)).toBe(new NetState(net).checksum());
      }
      expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
      // With the mask in force, the pooled gradients still equal the single-thread ones.
      const { x, y } = batch(7, 8);
      const want = named(net, singleThreadLossAndGrads(net, x, y, vars, { updateBnStats: false }).grads);
      const got = named(net, lossAndGrads(net, x, y, vars, { updateBnStats: false }).grads);
      expect(worst(got, want).err).toBeLessThan(TOL);
      // Architecture weights given explicitly (instead of softmax(α)) reach the workers too.
      const weights = new Map([...net.alphas].map(([k, a], i) => [k, tf.tidy(() => tf.softmax(tf.mul(a, 3 + i)) as tf.Tensor2D)]));
      const wantW = named(net, singleThreadLossAndGrads(net, x, y, vars, { updateBnStats: false, weights }).grads);
      const gotW = named(net, lossAndGrads(net, x, y, vars, { updateBnStats: false, weights }).grads);
      expect(worst(gotW, wantW).err).toBeLessThan(TOL);
      // The override did change the weights' gradients (and, as documented, α gets none through it).
      expect(Math.max(...Object.keys(gotW).map((k) => relErr(gotW[k]!, got[k]!)))).toBeGreaterThan(TOL);
      expect(Object.keys(gotW).some((k) => k.startsWith('alpha/'))).toBe(false);
      tf.dispose([x, y, ...weights.values()]);
    } finally {
      await pool.dispose();
      net.dispose();
    }
  });
});

describe('BatchNorm running statistics on a pool', () => {
  const buffers = (net: Supernet) => new Map([...net.params.buffers].map(([k, v]) => [k, (v.dataSync() as Float32Array).slice()]));
  const restore = (net: Supernet, values: Map<string, Float32Array>) => {
    for (const [k, v] of net.params.buffers) tf.tidy(() => v.assign(tf.tensor(values.get(k)!, v.shape)));
  };

  it("synced BN updates them with the whole batch's statistics; per-worker BN with the shard-weighted mean of each shard's update", async () => {
    const space = SPACES.nb201;
    const { x, y } = batch(21, 9);
    const reference = build(space);
    const start = buffers(reference);
    disposeGrads(singleThreadLossAndGrads(reference, x, y, trainables(reference)).grads);
    const wholeBatch = buffers(reference);
    // Per-worker reference: each shard (5 then 4 samples) updates from the same start; the mean weighted 5/9, 4/9.
    const perShard = [
      [0, 5],
      [5, 4],
    ].map(([from, size]) => {
      restore(reference, start);
      const xs = tf.slice(x, [from!, 0, 0, 0], [size!, -1, -1, -1]);
      const ys = tf.slice(y, [from!], [size!]);
      disposeGrads(singleThreadLossAndGrads(reference, xs, ys, trainables(reference)).grads);
      tf.dispose([xs, ys]);
      return { weight: size! / 9, values: buffers(reference) };
    });
    reference.dispose();

    for (const bn of ['sync', 'per-worker'] as const) {
      const net = build(space);
      const pool = await GradientPool.start({ threads: 2, bn, space, inputShape: INPUT, classes: CLASSES, backend: 'wasm', workerScript: SCRIPT });
      try {
        attachPool(net, pool);
        disposeGrads(lossAndGrads(net, x, y, trainables(net), {}).grads);
        const got = buffers(net);
        for (const [k, values] of got) {
          const want = bn === 'sync' ? wholeBatch.get(k)! : Float32Array.from(values, (_, i) => perShard.reduce((a, s) => a + s.weight * s.values.get(k)![i]!, 0));
          expect(relErr(values, want), `${bn} ${k}`).toBeLessThan(1e-5);
          expect(relErr(values, start.get(k)!), `${bn} ${k} changed`).toBeGreaterThan(0);
        }
        expect(pool.verify(net)).toBe(new NetState(net).checksum());
      } finally {
        await pool.dispose();
        net.dispose();
      }
    }
    tf.dispose([x, y]);
  });
});

describe('failures', () => {
  const pools: GradientPool[] = [];
  afterAll(async () => {
    for (const p of pools) await p.dispose();
  });
  /** An NB201 supernet with a 2-thread pool whose worker runs `workerScript` (a faulty fixture) attached. */
  async function netWithPool(workerScript: string, stallLimitMs?: number) {
    const space = SPACES.nb201;
    const net = build(space);
    const pool = await GradientPool.start({ threads: 2, bn: 'sync', space, inputShape: INPUT, classes: CLASSES, backend: 'wasm', workerScript, ...(stallLimitMs ? { stallLimitMs } : {}) });
    pools.push(pool);
    attachPool(net, pool);
    return { net, pool };
  }

  it('a worker that fails mid-call ends the call with an error naming the thread, and the pool refuses further calls', async () => {
    const { net } = await netWithPool(FAULTY);
    const { x, y } = batch(3, 8);
    disposeGrads(lossAndGrads(net, x, y, trainables(net), {}).grads);
    const started = Date.now();
    expect(() => lossAndGrads(net, x, y, trainables(net), {})).toThrow(/training thread 1: .*state slot 999999/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(() => lossAndGrads(net, x, y, trainables(net), {})).toThrow(/training thread 1/);
    tf.dispose([x, y]);
  });

  it('a worker that dies silently fails the step after the stall limit instead of hanging', async () => {
    const { net } = await netWithPool(EXITING, 3000);
    const { x, y } = batch(3, 8);
    disposeGrads(lossAndGrads(net, x, y, trainables(net), {}).grads);
    const started = Date.now();
    expect(() => lossAndGrads(net, x, y, trainables(net), {})).toThrow(/stopped responding.*fewer threads/);
    expect(Date.now() - started).toBeLessThan(20_000);
    tf.dispose([x, y]);
  });

  it('the verification catches a worker whose copy went stale', async () => {
    const { net, pool } = await netWithPool(STALE);
    const vars = trainables(net);
    const { x, y } = batch(3, 8);
    // Step, update, step: the second step's state update is the one the worker drops.
    const r = lossAndGrads(net, x, y, vars, {});
    for (const v of vars) if (r.grads[v.name]) tf.tidy(() => v.assign(tf.sub(v, tf.mul(r.grads[v.name]!, 0.1))));
    disposeGrads(r.grads);
    disposeGrads(lossAndGrads(net, x, y, vars, {}).grads);
    expect(() => pool.verify(net)).toThrow(/no longer hold identical weights.*resume the run from its last checkpoint with threads = 1/);
    tf.dispose([x, y]);
  });

  it('refuses a net that differs from the one the pool was started for', async () => {
    const pool = await GradientPool.start({ threads: 2, bn: 'sync', space: SPACES.nb201, inputShape: INPUT, classes: CLASSES, backend: 'wasm', workerScript: SCRIPT });
    pools.push(pool);
    const other = build(SPACES.darts);
    expect(() => attachPool(other, pool)).toThrow(/different network/);
    other.dispose();
  });
});
