import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InstanasLatencySchema } from '../../../src/shared/instanas';

// `nas-studio search --space mobilenet --strategy instanas` as a user runs it (the built CLI, real demo images,
// real wasm math), on a small budget: width 0.25, 7 blocks, 600 images at batch 16 (300 train the meta-graph,
// 19 steps an epoch), 2 + 1 epochs; about 100 s of CPU.
const bin = join(__dirname, '..', '..', '..', 'bin', 'nas-studio.js');
const history = mkdtempSync(join(tmpdir(), 'nas-cli-history-'));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 590_000, env: { ...process.env, NAS_STUDIO_DATA: history } });

describe('nas-studio search --strategy instanas', () => {
  it('reports the latency table, the policies, the test accuracy, the baseline and the variants in the JSON', () => {
    const r = run(
      ...['search', '--space', 'mobilenet', '--strategy', 'instanas', '--dataset', 'demo', '--width-mult', '0.25', '--blocks', '7'],
      ...['--pretrain-epochs', '2', '--epochs', '1', '--train-limit', '600', '--batch', '16', '--no-augment', '--pos-reward', '20', '--neg-reward', '-1', '--latency-window', 'static', '--seed', '2', '--json'],
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out.space).toBe('mobilenet');
    expect(out.config.space).toEqual({ name: 'mobilenet', widthMult: 0.25, blocks: 7 });
    expect(out.config.strategy).toMatchObject({ pretrainEpochs: 2, epochs: 1, posReward: 20, negReward: -1, latencyWindow: 'static', netLr: 0.05 });
    const latency = InstanasLatencySchema.parse(out.latency);
    expect(latency.table).toHaveLength(7);
    expect(latency.min).toBeLessThan(latency.baseline);
    expect(latency.baseline).toBeLessThan(latency.allOps);
    // The searched policies run below the all-ops latency: the controller does switch ops off.
    expect(out.policy.meanLatency).toBeGreaterThan(0);
    expect(out.policy.meanLatency).toBeLessThan(latency.allOps);
    expect(out.policy.stdLatency).toBeGreaterThanOrEqual(0);
    expect(out.policy.distinct).toBeGreaterThanOrEqual(1);
    // The searched per-instance paths learn too (37% in trials, the command line's meta-graph rate 0.05 and a
    // controller that starts near all ops on; 10 classes on 500 test images, so chance is 10% ± 3).
    expect(out.testAccuracy).toBeGreaterThan(20);
    expect(out.testAccuracy).toBeLessThanOrEqual(100);
    expect(out.baselineModel.latency).toBe(latency.baseline);
    // The MobileNetV2-like baseline, evaluated with BN statistics re-estimated for its weights, learns on this
    // budget (47% in trials).
    expect(out.baselineModel.testAccuracy).toBeGreaterThan(25);
    expect(out.baselineModel.epochs).toBe(3);
    expect(out.variants).toHaveLength(1);
    expect(out.variants[0]).toMatchObject({ label: 'A', epoch: 0 });
    expect(out.genotype.kind).toBe('instanas');
    expect(out.genotype.usage).toHaveLength(7);
    expect(out.history.runId).toBeGreaterThan(0);
  }, 600_000); // ~2 min on an idle machine; several times that when other jobs share its cores

  it('refuses InstaNAS flags outside their space and strategy by name', () => {
    const wrong = run('search', '--dataset', 'demo', '--strategy', 'darts', '--pos-reward', '3');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/--pos-reward does not apply to darts; strategies that take it: instanas/);
    const space = run('search', '--dataset', 'demo', '--space', 'nb201', '--strategy', 'instanas');
    expect(space.status).toBe(1);
    expect(space.stderr).toMatch(/InstaNAS does not search the NAS-Bench-201 space; it supports mobilenet/);
    const blocks = run('search', '--dataset', 'demo', '--space', 'mobilenet', '--strategy', 'instanas', '--blocks', '5');
    expect(blocks.status).toBe(1);
    expect(blocks.stderr).toMatch(/--blocks/);
  });
});
