/**
 * Whole searches on a gradient pool (threads 2 and 3) through the job runner the trainer and the CLI use: real
 * demo images, real wasm math in real worker threads, real checkpoints. DARTS second order (the unrolled step),
 * SGAS-es (λ_max by Hessian-vector products) and MdeNAS (path masks) all compute their gradients through
 * `lossAndGrads`, so they run data-parallel unchanged:
 * - the same seed and thread count give bit-identical metrics and results;
 * - 2 threads stay close to 1 thread (float rounding only), and log the threads they train on;
 * - a checkpoint written at 2 threads resumes at 2 (bit for bit), 1 and 3 and finishes.
 * Needs the built worker entry: run `npm run build` first.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { SPD_SINGLE_THREAD_REASON, resolveDataReference, runSearchJob } from '../../../src/main/nas/job';
import { parseSearchConfig, type SearchConfig } from '../../../src/shared/config';
import type { TrainerEvent } from '../../../src/shared/events';
import { demoJobs } from '../../support/demo-jobs';

const { run, newRunDir } = demoJobs('nas-threads-');

beforeAll(async () => {
  if (!existsSync(resolve('out/main/parallel-replica.js'))) throw new Error('out/main/parallel-replica.js is missing: run "npm run build" first.');
  await initBackend('wasm');
});

function config(strategy: Record<string, unknown>, threads: number): SearchConfig {
  return parseSearchConfig({ dataset: 'demo', trainLimit: 64, batchSize: 16, augment: false, backend: 'wasm', seed: 5, threads, space: { name: 'nb201', channels: 4, cells: 1 }, strategy });
}

/** Every metric the search reported, in order: the whole numeric trace of the run. */
const trace = (events: TrainerEvent[]) =>
  events.flatMap((e) => {
    if (e.type !== 'metrics') return [];
    const { epoch_seconds: _seconds, ...values } = e.values; // wall time differs run to run
    return [{ step: e.step, ...values }];
  });
const losses = (events: TrainerEvent[]) => events.flatMap((e) => (e.type === 'metrics' && e.values.train_loss !== undefined ? [e.values.train_loss] : []));
const logs = (events: TrainerEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.message] : []));

function latestCheckpoint(runDir: string): string {
  const files = readdirSync(join(runDir, 'checkpoints')).filter((f) => f.endsWith('.ckpt')).sort();
  return join(runDir, 'checkpoints', files.at(-1)!);
}

function expectClose(got: number[], want: number[], tol: number) {
  expect(got).toHaveLength(want.length);
  const worst = Math.max(...got.map((g, i) => Math.abs(g - want[i]!) / Math.max(Math.abs(want[i]!), 1e-6)));
  expect(worst).toBeLessThan(tol);
  return worst;
}

const STRATEGIES = [
  { label: 'DARTS second order', strategy: { name: 'darts', order: 2, epochs: 2 } },
  { label: 'SGAS-es with λ_max', strategy: { name: 'sgas-es', order: 1, decisionFreq: 1, finalEpochs: 0, batchIncrease: 0, hessianIters: 3 } },
  { label: 'MdeNAS', strategy: { name: 'mdenas', epochs: 2 } },
] as const;

describe('searches on 2 threads', () => {
  for (const s of STRATEGIES) {
    it(`${s.label}: same seed twice is bit-identical, and close to 1 thread`, async () => {
      const a = await run(config(s.strategy, 2));
      const b = await run(config(s.strategy, 2));
      expect(a.outcome.status).toBe('completed');
      expect(a.environment.threads).toBe(2);
      expect(logs(a.events)).toContain('Training on 2 threads (synchronised BatchNorm).');
      expect(trace(b.events)).toEqual(trace(a.events));
      expect(b.result).toEqual({ ...a.result, seconds: b.result!.seconds });
      if (s.strategy.name === 'sgas-es') expect(a.events.filter((e) => e.type === 'eigenvalue').length).toBeGreaterThan(0);

      const one = await run(config(s.strategy, 1));
      expect(one.environment.threads).toBe(1);
      const worst = expectClose(losses(a.events), losses(one.events), 1e-3);
      console.log(`${s.label}: ${losses(a.events).length} steps, worst relative train-loss difference 2 vs 1 thread ${worst.toExponential(2)}`);
    }, 600_000);
  }
});

describe('per-worker BatchNorm', () => {
  it('MdeNAS on 2 threads with BN per thread: says so, finishes, and repeats bit for bit', async () => {
    const c = { ...config(STRATEGIES[2].strategy, 2), threadBn: 'per-worker' as const };
    const a = await run(c);
    const b = await run(c);
    expect(a.outcome.status).toBe('completed');
    expect(logs(a.events)).toContain('Training on 2 threads (BatchNorm per thread).');
    expect(trace(b.events)).toEqual(trace(a.events));
    const synced = await run(config(STRATEGIES[2].strategy, 2));
    console.log(`MdeNAS per-worker BN vs synced: train losses ${losses(a.events).map((l) => l.toFixed(4)).join(' ')} vs ${losses(synced.events).map((l) => l.toFixed(4)).join(' ')}`);
  }, 300_000);
});

describe('strategies that train on one thread', () => {
  it('an SPDNetNAS search asked for 2 threads says why it trains on one, and finishes', async () => {
    const c = parseSearchConfig({ dataset: 'spd-synthetic', trainLimit: 60, batchSize: 20, backend: 'wasm', seed: 1, threads: 2, space: { name: 'spd', matrixSize: 12 }, strategy: { name: 'spdnas', epochs: 1, order: 1 } });
    const events: TrainerEvent[] = [];
    const job = await runSearchJob({ config: c, data: resolveDataReference('spd-synthetic'), runDir: newRunDir(), appVersion: 'test' }, (e) => events.push(e), { interrupt: () => null });
    expect(job.outcome.status).toBe('completed');
    expect(logs(events).filter((m) => m.startsWith('Training on'))).toEqual([`Training on 1 thread: ${SPD_SINGLE_THREAD_REASON}`]);
  }, 300_000);
});

describe('checkpoints across thread counts', () => {
  it('DARTS second order paused at 2 threads resumes at 2 bit for bit, and at 1 and 3 to a finished search', async () => {
    const strategy = STRATEGIES[0].strategy;
    const whole = await run(config(strategy, 2));
    const paused = await run(config(strategy, 2), { pauseAfterPolls: 3 });
    expect(paused.outcome.status).toBe('paused');
    const checkpoint = latestCheckpoint(paused.runDir);

    const same = await run(config(strategy, 2), { runDir: paused.runDir, resumeFrom: checkpoint });
    expect(same.result!.arch).toBe(whole.result!.arch);
    expect(losses([...paused.events, ...same.events])).toEqual(losses(whole.events));

    for (const threads of [1, 3]) {
      const resumed = await run(config(strategy, threads), { runDir: newRunDir(), resumeFrom: checkpoint });
      expect(resumed.outcome.status).toBe('completed');
      expect(resumed.environment.threads).toBe(threads);
      expectClose(losses([...paused.events, ...resumed.events]), losses(whole.events), 1e-3);
    }
  }, 600_000);
});
