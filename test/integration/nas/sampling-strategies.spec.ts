// MdeNAS, random search and regularised evolution with weight sharing, through the job runner the trainer and
// the CLI use: real demo images, real wasm math, real checkpoints. Tiny supernets; what is checked is the
// contract each strategy keeps (valid architectures, conserved probability mass, the best candidate returned,
// a pause anywhere resumes to the same result).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { TRAJECTORY_METRICS } from '../../../src/shared/benchmark-metrics';
import { parseSearchConfig, type SearchConfig } from '../../../src/shared/config';
import type { AlphaSnapshot, TrainerEvent } from '../../../src/shared/events';
import { dartsEdges, type DartsGenotype } from '../../../src/shared/spaces/darts';
import { parseNb201Arch } from '../../../src/shared/spaces/nb201';
import { demoJobs } from '../../support/demo-jobs';

const { run } = demoJobs('nas-sampling-');

beforeAll(async () => {
  await initBackend('wasm');
});

function config(space: Record<string, unknown>, strategy: Record<string, unknown>): SearchConfig {
  return parseSearchConfig({ dataset: 'demo', trainLimit: 120, batchSize: 30, augment: false, backend: 'wasm', seed: 5, space: { channels: 4, cells: 1, ...space }, strategy });
}

const metricPoints = (events: TrainerEvent[], name: string) =>
  events.flatMap((e) => (e.type === 'metrics' && e.values[name] !== undefined ? [[e.step, e.values[name]] as const] : []));

function latestCheckpoint(runDir: string): string {
  const files = readdirSync(join(runDir, 'checkpoints')).filter((f) => f.endsWith('.ckpt')).sort();
  return join(runDir, 'checkpoints', files.at(-1)!);
}

describe('MdeNAS with weight sharing', () => {
  it('samples a path per epoch, keeps every edge a distribution, and returns the cell its probabilities favour', async () => {
    const { result, events } = await run(config({ name: 'nb201' }, { name: 'mdenas', epochs: 3, distributionLr: 0.05 }));
    const snapshots = events.flatMap((e) => (e.type === 'snapshot' && e.kind === 'probabilities' ? [e.payload as AlphaSnapshot] : []));
    expect(snapshots).toHaveLength(3);
    for (const s of snapshots) {
      for (const row of s.cells.cell) {
        expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
        for (const p of row) expect(p).toBeGreaterThanOrEqual(0);
      }
    }
    // No α snapshots: MdeNAS has no α to show.
    expect(events.some((e) => e.type === 'snapshot' && e.kind === 'alpha')).toBe(false);
    const ops = parseNb201Arch(result!.arch!);
    const last = snapshots.at(-1)!;
    ops.forEach((op, e) => {
      const row = last.cells.cell[e];
      expect(row[last.ops.indexOf(op)]).toBe(Math.max(...row));
    });
    expect(result!.nb201!.arch).toBe(result!.arch);
    // The table score of the derived cell, epoch by epoch (the benchmark curve).
    expect(metricPoints(events, 'bench_cifar10')).toHaveLength(3);
    expect(result!.summary?.evaluations).toBe(3);
  }, 120_000);

  it('resumes a pause mid-epoch to exactly the result of an uninterrupted search', async () => {
    const c = config({ name: 'nb201' }, { name: 'mdenas', epochs: 3, distributionLr: 0.05 });
    const straight = await run(c);
    const paused = await run(c, { pauseAfterPolls: 6 }); // 2 steps per epoch: mid-epoch 3
    expect(paused.outcome.status).toBe('paused');
    const resumed = await run(c, { runDir: paused.runDir, resumeFrom: latestCheckpoint(paused.runDir) });
    expect(resumed.result!.arch).toBe(straight.result!.arch);
    const probs = (r: typeof straight) => r.events.filter((e) => e.type === 'snapshot' && e.kind === 'probabilities').at(-1);
    expect(probs(resumed)).toEqual(probs(straight));
    expect(resumed.outcome.valAccuracy).toBe(straight.outcome.valAccuracy);
  }, 180_000);
});

describe('random search with weight sharing', () => {
  it('ranks N valid DARTS-space candidates and returns the best one', async () => {
    const c = config({ name: 'darts', cells: 3, nodes: 2, ops: ['none', 'skip_connect', 'max_pool_3x3', 'sep_conv_3x3'] }, { name: 'random', epochs: 1, samples: 5, valBatches: 1 });
    const { result, events } = await run(c);
    const candidates = metricPoints(events, TRAJECTORY_METRICS.candidate);
    const best = metricPoints(events, TRAJECTORY_METRICS.best);
    expect(candidates.map(([step]) => step)).toEqual([1, 2, 3, 4, 5]);
    // best_score is the running maximum of the candidates' scores.
    let runningMax = -Infinity;
    candidates.forEach(([, v], i) => {
      runningMax = Math.max(runningMax, v);
      expect(best[i][1]).toBe(runningMax);
    });
    const genotype = result!.genotype as DartsGenotype;
    for (const cell of [genotype.normal, genotype.reduce]) {
      expect(cell).toHaveLength(4); // 2 nodes × 2 inputs
      for (let node = 0; node < 2; node++) {
        const inputs = cell.slice(2 * node, 2 * node + 2);
        expect(new Set(inputs.map(([, src]) => src)).size).toBe(2);
        for (const [op, src] of inputs) {
          expect(op).not.toBe('none');
          expect(dartsEdges(2).some((e) => e.node === node && e.source === src)).toBe(true);
        }
      }
    }
    expect(result!.summary).toMatchObject({ evaluations: 5, signal: 'validation accuracy with the shared supernet weights' });
  }, 120_000);
});

describe('regularised evolution with weight sharing', () => {
  it('evolves NAS-Bench-201 candidates, resumes a pause during the ranking exactly, and scores the winner by the table', async () => {
    const c = config({ name: 'nb201' }, { name: 'evolution', epochs: 1, samples: 8, population: 4, sampleSize: 2, valBatches: 1 });
    const straight = await run(c);
    const trajectory = metricPoints(straight.events, TRAJECTORY_METRICS.bestCifar10);
    expect(trajectory).toHaveLength(8);
    expect(trajectory.at(-1)![1]).toBe(straight.result!.nb201!.cifar10);
    // Training takes 2 polls (2 steps); the ranking polls once per candidate: pause before candidate 5.
    const paused = await run(c, { pauseAfterPolls: 2 + 5 });
    expect(paused.outcome.status).toBe('paused');
    expect(metricPoints(paused.events, TRAJECTORY_METRICS.candidate)).toHaveLength(4);
    const resumed = await run(c, { runDir: paused.runDir, resumeFrom: latestCheckpoint(paused.runDir) });
    expect(resumed.result!.arch).toBe(straight.result!.arch);
    expect(metricPoints(resumed.events, TRAJECTORY_METRICS.candidate)).toEqual(metricPoints(straight.events, TRAJECTORY_METRICS.candidate).slice(4));
  }, 180_000);
});
