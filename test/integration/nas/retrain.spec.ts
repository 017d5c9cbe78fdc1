// Retrain through the job runner the trainer and the CLI use: real demo images (train and test split), real
// wasm math, real checkpoints and a real export. A DARTS-space network with every training-time randomness
// on (crop, flip, cutout, drop-path, auxiliary head) is paused mid-epoch and resumed: the result, the curves
// and the exported weights are bit for bit those of an uninterrupted run.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/main/nas/engine/tf';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { WEIGHTS_FILE, loadExportedModel } from '../../../src/main/nas/estimation/model-export';
import { parseSearchConfig, runKindOf, type SearchConfig } from '../../../src/shared/config';
import type { TrainerEvent } from '../../../src/shared/events';
import { demoJobs } from '../../support/demo-jobs';

const GENOTYPE = {
  normal: [['sep_conv_3x3', 0], ['skip_connect', 1], ['dil_conv_3x3', 0], ['max_pool_3x3', 2], ['avg_pool_3x3', 1], ['sep_conv_5x5', 3], ['skip_connect', 0], ['dil_conv_5x5', 4]],
  reduce: [['max_pool_3x3', 0], ['skip_connect', 1], ['sep_conv_3x3', 0], ['dil_conv_3x3', 2], ['avg_pool_3x3', 1], ['skip_connect', 3], ['sep_conv_5x5', 4], ['max_pool_3x3', 0]],
};

const { run } = demoJobs('nas-retrain-');

beforeAll(async () => {
  await initBackend('wasm');
});

function config(): SearchConfig {
  return parseSearchConfig({
    dataset: 'demo',
    trainLimit: 120,
    batchSize: 30,
    backend: 'wasm',
    seed: 3,
    space: { name: 'darts', channels: 4, cells: 3 },
    strategy: { name: 'retrain', architecture: JSON.stringify(GENOTYPE), epochs: 2, dropPath: 0.3 },
  });
}

const points = (events: TrainerEvent[], name: string) => events.flatMap((e) => (e.type === 'metrics' && e.values[name] !== undefined ? [[e.step, e.values[name]]] : []));

function latestCheckpoint(runDir: string): string {
  const files = readdirSync(join(runDir, 'checkpoints')).filter((f) => f.endsWith('.ckpt')).sort();
  return join(runDir, 'checkpoints', files.at(-1)!);
}

describe('retrain through the job runner', () => {
  it('is a run of kind retrain; trains, tests on the test split, measures, exports, and resumes a mid-epoch pause exactly', async () => {
    const c = config();
    expect(runKindOf(c)).toBe('retrain');
    const straight = await run(c);
    const e = straight.result!.evaluation!;
    expect(straight.result!.genotype).toMatchObject(GENOTYPE);
    // Test accuracy is measured on the 500 test images: a multiple of 1/500.
    expect(Math.round(e.testAccuracy * 500) / 500).toBeCloseTo(e.testAccuracy, 12);
    expect(points(straight.events, 'test_acc').at(-1)![1]).toBe(e.testAccuracy);
    expect(e.params).toBeGreaterThan(0);
    expect(e.flops).toBeGreaterThan(e.params);
    expect(e.latencyMs).toBeGreaterThan(0);
    expect(e.latencyBackend).toBe('wasm');
    expect(e.exportDir).toBe(join(straight.runDir, 'model'));
    expect(straight.events.some((ev) => ev.type === 'snapshot' && ev.kind === 'genotype')).toBe(true);

    // 4 steps per epoch: pause in the middle of epoch 2.
    const paused = await run(c, { pauseAfterPolls: 6 });
    expect(paused.outcome.status).toBe('paused');
    expect(paused.result).toBeNull();
    const resumed = await run(c, { runDir: paused.runDir, resumeFrom: latestCheckpoint(paused.runDir) });
    expect(resumed.result!.evaluation!.testAccuracy).toBe(e.testAccuracy);
    const trainLoss = [...points(paused.events, 'train_loss'), ...points(resumed.events, 'train_loss')];
    expect(trainLoss).toEqual(points(straight.events, 'train_loss'));
    const weights = (r: { runDir: string }) => readFileSync(join(r.runDir, 'model', WEIGHTS_FILE));
    expect(weights(resumed).equals(weights(straight))).toBe(true);

    // The export reloads with tf.loadLayersModel and classifies the same way.
    const model = await loadExportedModel(e.exportDir!);
    const x = tf.randomNormal([3, 32, 32, 1]);
    expect((model.predict(x) as tf.Tensor).shape).toEqual([3, 10]);
    model.dispose();
  }, 600_000);

  it('refuses a checkpoint written under other retrain settings, naming the difference', async () => {
    const c = config();
    const paused = await run(c, { pauseAfterPolls: 2 });
    const other = parseSearchConfig({ ...c, strategy: { ...c.strategy, epochs: 3 } });
    await expect(run(other, { runDir: paused.runDir, resumeFrom: latestCheckpoint(paused.runDir) })).rejects.toThrow(/strategy\.epochs: 2 in the checkpoint, 3 now/);
  }, 300_000);
});
