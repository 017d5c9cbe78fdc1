import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/main/nas/engine/tf';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { EVAL_PREPROCESSING } from '../../../src/main/nas/data/batcher';
import { loadMnistFamily } from '../../../src/main/nas/data/mnist-family';
import { defaultDemoDatasetDir } from '../../../src/main/nas/data/resources';
import { METADATA_FILE, loadExportedModel, type ExportMetadata } from '../../../src/main/nas/estimation/model-export';
import { testBatches } from '../../../src/main/nas/estimation/retrain-data';
import { Store } from '../../../src/main/store/store';

// The command, run as a user runs it (the built CLI, real demo images, real wasm math): the
// retrained NAS-Bench-201 network classifies the demo test set well above chance, and the exported model,
// reloaded with tf.loadLayersModel, gives the same predictions: its accuracy over the 500 test images,
// preprocessed as nas-studio.json says, is the CLI's to the image.

const bin = resolve('bin/nas-studio.js');
const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|';

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    // Recorded in a throw-away history, never the user's.
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NAS_STUDIO_DATA: join(dir, 'history') } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'nas-retrain-cli-'));
beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nas-studio retrain', () => {
  it('--space nb201 --arch … --dataset demo --epochs 3 --channels 8 --cells 1 --export DIR --json: test accuracy > 0.5, the model reloads with the same predictions', async () => {
    const exportDir = join(dir, 'model');
    const r = await cli(['retrain', '--space', 'nb201', '--arch', ARCH, '--dataset', 'demo', '--epochs', '3', '--channels', '8', '--cells', '1', '--export', exportDir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out.testAccuracy).toBeGreaterThan(0.5);
    expect(out.params).toBeGreaterThan(0);
    expect(out.flops).toBeGreaterThan(out.params);
    expect(out.latencyMs).toBeGreaterThan(0);
    expect(out.exportDir).toBe(exportDir);
    // Recorded in the history as a retrain with its measurements.
    const store = Store.open(join(out.history.dataDir, 'nas-studio.db'));
    try {
      expect(store.runs.get(out.history.runId)).toMatchObject({ kind: 'retrain', status: 'completed', evaluation: { testAccuracy: out.testAccuracy, params: out.params } });
    } finally {
      store.close();
    }
    expect(out.arch).toBe(ARCH);
    expect(out.epochs).toBe(3);

    const meta = JSON.parse(readFileSync(join(exportDir, METADATA_FILE), 'utf8')) as ExportMetadata;
    expect(meta).toMatchObject({ architecture: ARCH, classes: 10, inputShape: [32, 32, 1], output: 'logits', testAccuracy: out.testAccuracy });
    const model = await loadExportedModel(exportDir);
    const { test } = loadMnistFamily(defaultDemoDatasetDir(), { classes: 10 });
    let correct = 0;
    for (const batch of testBatches(test, { batchSize: 100, seed: 0, shuffle: false, normalization: meta.normalization, ...EVAL_PREPROCESSING })) {
      const predicted = tf.tidy(() => tf.argMax(model.predict(tf.tensor4d(batch.x, batch.shape)) as tf.Tensor2D, 1).dataSync());
      predicted.forEach((p, i) => (correct += p === batch.y[i] ? 1 : 0));
    }
    expect(correct / test.count).toBe(out.testAccuracy);
    model.dispose();
  }, 600_000);

  it('refuses an architecture of the other space, naming the flag', async () => {
    const r = await cli(['retrain', '--space', 'darts', '--arch', ARCH, '--dataset', 'demo', '--epochs', '1', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).error).toMatch(/--arch: The architecture is a NAS-Bench-201 arch string, but the run's space is DARTS: choose the NAS-Bench-201 space\./);
    const bad = await cli(['retrain', '--arch', '|nor_conv_9x9~0|+|', '--dataset', 'demo', '--json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--arch/);
  }, 120_000);
});
