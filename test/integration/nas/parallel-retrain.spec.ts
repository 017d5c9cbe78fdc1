/**
 * A retrain on a gradient pool: the stand-alone network (DARTS cell with the auxiliary head and drop-path)
 * trained data-parallel through `retrainLossAndGrads`, in real worker threads with real wasm math.
 * - pooled gradients equal the single-thread full-batch gradients, drop-path masks included (every thread
 *   draws the whole batch's masks and keeps its rows);
 * - a retrain job on 2 threads repeats bit for bit, stays close to 1 thread, and a checkpoint taken at 2
 *   threads resumes at 1 and 3.
 * Needs the built worker entry: run `npm run build` first.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/main/nas/engine/tf';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { Rng } from '../../../src/main/nas/engine/rng';
import { buildStandaloneNet } from '../../../src/main/nas/estimation/networks/standalone';
import { retrainLossAndGrads, singleThreadRetrainLossAndGrads } from '../../../src/main/nas/estimation/retrain-step';
import { GradientPool, attachPool } from '../../../src/main/nas/parallel/gradient-pool';
import { disposeGrads } from '../../../src/main/nas/strategies/one-shot';
import { parseSearchConfig, type SearchConfig } from '../../../src/shared/config';
import type { TrainerEvent } from '../../../src/shared/events';
import { SpaceConfigSchema } from '../../../src/shared/spaces/registry';
import { parseArchitecture } from '../../../src/shared/strategies/retrain';
import { randomArray, relErr } from '../../unit/nas/fixtures';
import { demoJobs } from '../../support/demo-jobs';

const GENOTYPE = {
  normal: [['sep_conv_3x3', 0], ['skip_connect', 1], ['dil_conv_3x3', 0], ['max_pool_3x3', 2], ['avg_pool_3x3', 1], ['sep_conv_5x5', 3], ['skip_connect', 0], ['dil_conv_5x5', 4]],
  reduce: [['max_pool_3x3', 0], ['skip_connect', 1], ['sep_conv_3x3', 0], ['dil_conv_3x3', 2], ['avg_pool_3x3', 1], ['skip_connect', 3], ['sep_conv_5x5', 4], ['max_pool_3x3', 0]],
};

const { run, newRunDir } = demoJobs('nas-retrain-threads-');

beforeAll(async () => {
  if (!existsSync(resolve('out/main/parallel-replica.js'))) throw new Error('out/main/parallel-replica.js is missing: run "npm run build" first.');
  await initBackend('wasm');
});

describe('retrainLossAndGrads through a gradient pool', () => {
  it('equals the single-thread full-batch gradients with the auxiliary head and drop-path (odd batch, 2 threads)', async () => {
    const space = SpaceConfigSchema.parse({ name: 'darts', channels: 4, cells: 3 });
    const architecture = parseArchitecture(JSON.stringify(GENOTYPE));
    const inputShape: [number, number, number] = [16, 16, 1];
    const net = buildStandaloneNet(space, architecture, { inputShape, classes: 3, auxiliary: true }, new Rng(4));
    const vars = net.params.trainableList();
    const x = tf.tensor4d(randomArray(9 * 256, 8, 2), [9, ...inputShape]);
    const y = tf.tensor1d(Int32Array.from({ length: 9 }, (_, i) => i % 3), 'int32');
    const options = { dropPath: { probability: 0.4, seed: 3, keys: [23, 7] }, auxiliaryWeight: 0.4, updateBnStats: false };
    const ref = singleThreadRetrainLossAndGrads(net, x, y, vars, options);
    const want = new Map(Object.entries(ref.grads).map(([k, g]) => [k, g.dataSync() as Float32Array]));
    disposeGrads(ref.grads);
    // Without the same masks the gradients would differ: another draw of them changes the result.
    const other = singleThreadRetrainLossAndGrads(net, x, y, vars, { ...options, dropPath: { ...options.dropPath, keys: [23, 8] } });
    expect(Math.abs(other.loss - ref.loss)).toBeGreaterThan(1e-4);
    disposeGrads(other.grads);

    const pool = await GradientPool.start({ threads: 2, bn: 'sync', space, inputShape, classes: 3, backend: 'wasm', standalone: { architecture, auxiliary: true } });
    try {
      attachPool(net, pool);
      const got = retrainLossAndGrads(net, x, y, vars, options);
      expect(Object.keys(got.grads).sort()).toEqual([...want.keys()].sort());
      let worst = 0;
      let at = '';
      for (const [k, g] of Object.entries(got.grads)) {
        const e = relErr(g.dataSync() as Float32Array, want.get(k)!);
        if (e > worst) [worst, at] = [e, `${k} (max |g| ${Math.max(...want.get(k)!.map(Math.abs)).toExponential(1)})`];
      }
      disposeGrads(got.grads);
      console.log(`retrain step on 2 threads, batch 9, drop-path 0.4 with the auxiliary head: worst relative gradient error ${worst.toExponential(2)} at ${at}; loss ${got.loss} vs ${ref.loss}`);
      // Float32 rounding of sums over a differently split batch; a wrong drop-path mask would be O(1).
      expect(worst).toBeLessThan(5e-4);
      expect(Math.abs(got.loss - ref.loss)).toBeLessThan(1e-5);
      expect(got.correct).toBe(ref.correct);
    } finally {
      await pool.dispose();
      tf.dispose([x, y]);
      net.dispose();
    }
  });
});

function config(threads: number): SearchConfig {
  return parseSearchConfig({
    dataset: 'demo',
    trainLimit: 64,
    batchSize: 16,
    backend: 'wasm',
    seed: 3,
    threads,
    space: { name: 'darts', channels: 4, cells: 3 },
    strategy: { name: 'retrain', architecture: JSON.stringify(GENOTYPE), epochs: 2, dropPath: 0.3 },
  });
}

const losses = (events: TrainerEvent[]) => events.flatMap((e) => (e.type === 'metrics' && e.values.train_loss !== undefined ? [e.values.train_loss] : []));
const testAccuracy = (events: TrainerEvent[]) => events.flatMap((e) => (e.type === 'metrics' && e.values.test_acc !== undefined ? [e.values.test_acc] : []));

function worstRelative(got: number[], want: number[]): number {
  expect(got).toHaveLength(want.length);
  return Math.max(...got.map((g, i) => Math.abs(g - want[i]!) / Math.max(Math.abs(want[i]!), 1e-6)));
}

describe('a retrain job on threads', () => {
  it('repeats bit for bit on 2 threads, stays close to 1 thread, and resumes a 2-thread checkpoint at 1 and 3', async () => {
    const a = await run(config(2));
    const b = await run(config(2));
    expect(a.outcome.status).toBe('completed');
    expect(a.environment.threads).toBe(2);
    expect(a.events.some((e) => e.type === 'log' && e.message === 'Training on 2 threads (synchronised BatchNorm).')).toBe(true);
    expect(losses(a.events).length).toBeGreaterThan(2);
    expect(losses(b.events)).toEqual(losses(a.events));
    expect(testAccuracy(b.events)).toEqual(testAccuracy(a.events));

    const one = await run(config(1));
    const worst = worstRelative(losses(a.events), losses(one.events));
    console.log(`retrain: ${losses(a.events).length} steps, worst relative train-loss difference 2 vs 1 thread ${worst.toExponential(2)}`);
    // Eight SGD steps with momentum carry the rounding of each step along (the search tests' α-only drift is smaller).
    expect(worst).toBeLessThan(2e-2);

    const paused = await run(config(2), { pauseAfterPolls: 3 });
    expect(paused.outcome.status).toBe('paused');
    const files = readdirSync(join(paused.runDir, 'checkpoints')).filter((f) => f.endsWith('.ckpt')).sort();
    const checkpoint = join(paused.runDir, 'checkpoints', files.at(-1)!);
    const same = await run(config(2), { runDir: paused.runDir, resumeFrom: checkpoint });
    expect(losses([...paused.events, ...same.events])).toEqual(losses(a.events));
    for (const threads of [1, 3]) {
      const resumed = await run(config(threads), { runDir: newRunDir(), resumeFrom: checkpoint });
      expect(resumed.outcome.status).toBe('completed');
      expect(resumed.environment.threads).toBe(threads);
      expect(worstRelative(losses([...paused.events, ...resumed.events]), losses(a.events))).toBeLessThan(2e-2);
    }
  }, 600_000);
});
