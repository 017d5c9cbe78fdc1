/**
 * SPDNetNAS search on the built-in synthetic SPD set (real matrices, real tfjs math on wasm): a small budget
 * reaches a validation accuracy well above chance (3 classes) with a genotype of SPD ops and live health
 * metrics; a search paused mid-epoch and resumed in a new instance (on a network initialised differently, so
 * every value must come from the checkpoint) ends bit-identical to the uninterrupted one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { Rng, hashSeed } from '../../../src/main/nas/engine/rng';
import { balancedSpdSubset } from '../../../src/main/nas/data/spd-sets';
import { generateSpdSynthetic } from '../../../src/main/nas/data/spd-synthetic';
import type { SpdMatrixSet } from '../../../src/main/nas/data/spd-import-set';
import { buildSpdSupernet } from '../../../src/main/nas/spaces/spd';
import { SPACE_ARCHITECTURES } from '../../../src/main/nas/spaces/architectures';
import { SpdnasSearch } from '../../../src/main/nas/strategies/spdnas';
import type { SearchControl } from '../../../src/main/nas/strategies/one-shot-types';
import { parseSearchConfig, type SearchConfig, type StrategyConfigOf } from '../../../src/shared/config';
import type { TrainerEvent } from '../../../src/shared/events';
import { SPD_NORMAL_OPS, SPD_REDUCED_OPS } from '../../../src/shared/spaces/spd';

let dir = '';
let set: SpdMatrixSet;

beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'spdnas-spec-'));
  set = generateSpdSynthetic();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function searchFor(config: SearchConfig, trainCount: number, tag: string, initSeed = config.seed) {
  const events: TrainerEvent[] = [];
  if (config.space.name !== 'spd') throw new Error('spd space expected');
  const net = buildSpdSupernet(config.space, [set.size, set.size, 1], set.classes, new Rng(hashSeed(initSeed, 1)));
  const search = new SpdnasSearch({
    config,
    options: config.strategy as StrategyConfigOf<'spdnas'>,
    net,
    train: balancedSpdSubset(set.train, set.classes, set.size, trainCount),
    size: set.size,
    emit: (e) => events.push(e),
    checkpointPath: (epoch, step) => join(dir, tag, `epoch-${epoch}-step-${step}.ckpt`),
  });
  return { search, net, events };
}

const never: SearchControl = { interrupt: () => null };

describe('SPDNetNAS on the synthetic SPD set', () => {
  it('reaches a validation accuracy well above chance on a small budget, with a genotype of SPD ops and health metrics', async () => {
    // 360 matrices (180 for the weights, 180 for α and the validation accuracy), 12×12 after the stem, 6 epochs
    // of 6 steps: about a minute here. The search is bit-deterministic for a seed (seeded init, split and
    // batches; the wasm backend's math on one thread), so this seed always ends at the same accuracy: 0.839
    // (151/180), and with seed 2 at 0.861. Chance is 1/3; a search that stopped learning ends near it. First
    // order keeps it short; the default second order is what the CLI run uses (82% there, 5 epochs).
    const config = parseSearchConfig({
      dataset: 'spd-synthetic',
      batchSize: 30,
      seed: 1,
      space: { name: 'spd', matrixSize: 12 },
      strategy: { name: 'spdnas', epochs: 6, wLr: 0.2, order: 1 },
    });
    const { search, events } = searchFor(config, 360, 'small');
    const outcome = await search.run(never);
    expect(outcome.status).toBe('completed');
    expect(outcome.valAccuracy).toBeGreaterThan(0.7);
    const genotype = SPACE_ARCHITECTURES.spd.fromWeights(config.space as never, outcome.weights, outcome.ops).genotype as { normal: [string, number][]; reduce: [string, number][] };
    for (const [op] of genotype.normal) expect(SPD_NORMAL_OPS).toContain(op);
    for (const [op] of genotype.reduce) expect([...SPD_REDUCED_OPS, ...SPD_NORMAL_OPS]).toContain(op);
    for (const [op] of [...genotype.normal, ...genotype.reduce]) expect(op).not.toMatch(/^none/);
    const health = events.flatMap((e) => (e.type === 'metrics' && 'eig_min' in e.values ? [e.values] : []));
    expect(health.length).toBeGreaterThanOrEqual(3);
    for (const h of health) {
      expect(h.eig_min).toBeGreaterThan(0);
      expect(h.eig_max).toBeGreaterThanOrEqual(h.eig_min);
      expect(h.karcher_residual).toBeGreaterThanOrEqual(0);
    }
    const snapshots = events.filter((e) => e.type === 'snapshot' && e.kind === 'alpha');
    expect(snapshots).toHaveLength(6);
    search.dispose();
  }, 300_000);

  it.each([1, 2] as const)('resumes exactly from a mid-epoch checkpoint (order %i)', async (order) => {
    const config = parseSearchConfig({
      dataset: 'spd-synthetic',
      batchSize: 10,
      seed: 3,
      space: { name: 'spd', matrixSize: 8 },
      strategy: { name: 'spdnas', epochs: 2, order, healthEvery: 1 },
    });
    const whole = searchFor(config, 40, `whole${order}`);
    await whole.search.run(never);
    const values = (net: typeof whole.net) => [...net.params.trainable, ...net.params.buffers, ...net.alphas].map(([k, v]) => [k, Array.from(v.dataSync())] as const);
    const want = values(whole.net);
    const wantMetrics = whole.events.filter((e) => e.type === 'metrics' && e.epoch === 1);

    let polls = 0;
    const paused = searchFor(config, 40, `paused${order}`);
    const first = await paused.search.run({ interrupt: () => (++polls === 4 ? 'pause' : null) }); // after 3 steps: mid epoch 1
    expect(first.status).toBe('paused');
    const checkpoint = [...paused.events].reverse().find((e) => e.type === 'checkpoint') as Extract<TrainerEvent, { type: 'checkpoint' }>;
    paused.search.dispose();

    const resumed = searchFor(config, 40, `resumed${order}`, 999);
    resumed.search.restore(checkpoint.path);
    await resumed.search.run(never);
    expect(values(resumed.net)).toEqual(want);
    const gotMetrics = resumed.events.filter((e) => e.type === 'metrics' && e.epoch === 1);
    expect(gotMetrics.map((e) => JSON.stringify(e)).filter((s) => !s.includes('epoch_seconds'))).toEqual(
      wantMetrics.slice(-gotMetrics.length).map((e) => JSON.stringify(e)).filter((s) => !s.includes('epoch_seconds')),
    );
    whole.search.dispose();
    resumed.search.dispose();
  });
});
