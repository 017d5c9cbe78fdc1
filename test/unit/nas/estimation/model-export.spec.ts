/**
 * Export round trip: a stand-alone network saved in the TF.js layers format (model.json + weights.bin) and
 * loaded back with tf.loadLayersModel predicts what the network predicts; the files are the standard layout.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { Rng } from '../../../../src/main/nas/engine/rng';
import { MODEL_FILE, WEIGHTS_FILE, exportModel, loadExportedModel } from '../../../../src/main/nas/estimation/model-export';
import { buildStandaloneNet } from '../../../../src/main/nas/estimation/networks/standalone';
import { parseSearchConfig } from '../../../../src/shared/config';
import { parseArchitecture } from '../../../../src/shared/strategies/retrain';
import { randomArray, relErr } from '../fixtures';

const dir = mkdtempSync(join(tmpdir(), 'nas-export-'));
beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('model export', () => {
  it('reloads with tf.loadLayersModel and gives the same predictions', async () => {
    const genotype = { normal: [['sep_conv_3x3', 0], ['dil_conv_3x3', 1], ['skip_connect', 0], ['avg_pool_3x3', 2]], reduce: [['max_pool_3x3', 0], ['skip_connect', 1], ['dil_conv_5x5', 0], ['sep_conv_5x5', 2]] };
    const space = parseSearchConfig({ dataset: 'demo', space: { name: 'darts', channels: 4, cells: 3, nodes: 2 }, strategy: { name: 'darts' } }).space;
    const net = buildStandaloneNet(space, parseArchitecture(JSON.stringify(genotype)), { inputShape: [16, 16, 1], classes: 10, auxiliary: true }, new Rng(2));
    // Non-trivial BN statistics, as after training.
    for (const [name, v] of net.params.buffers) v.assign(tf.tensor(randomArray(v.size, v.size, 0.3, name.endsWith('running_var') ? 1 : 0), v.shape));
    const out = join(dir, 'darts');
    await exportModel(net, out, { architecture: JSON.stringify(genotype), space: 'darts', classes: 10, inputShape: [16, 16, 1], normalization: { mean: [0.5], std: [0.5] }, output: 'logits', testAccuracy: null });
    const manifest = JSON.parse(readFileSync(join(out, MODEL_FILE), 'utf8'));
    expect(manifest.format).toBe('layers-model');
    expect(manifest.weightsManifest[0].paths).toEqual([WEIGHTS_FILE]);
    const bytes = manifest.weightsManifest[0].weights.reduce((n: number, w: { shape: number[] }) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    expect(readFileSync(join(out, WEIGHTS_FILE)).length).toBe(bytes);

    const model = await loadExportedModel(out);
    const x = tf.tensor4d(randomArray(4 * 16 * 16, 5), [4, 16, 16, 1]);
    expect(relErr((model.predict(x) as tf.Tensor).dataSync(), net.predict(x).dataSync())).toBeLessThan(1e-4);
    model.dispose();
    net.dispose();
  });

  it('says which folder could not be written', async () => {
    const space = parseSearchConfig({ dataset: 'demo', space: { name: 'nb201', channels: 2, cells: 1 }, strategy: { name: 'darts' } }).space;
    const net = buildStandaloneNet(space, parseArchitecture('|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|'), { inputShape: [8, 8, 1], classes: 10, auxiliary: false }, new Rng(1));
    // A folder inside a file cannot be created (ENOTDIR).
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    const target = join(blocker, 'model');
    await expect(exportModel(net, target, { architecture: '', space: 'nb201', classes: 10, inputShape: [8, 8, 1], normalization: { mean: [0], std: [1] }, output: 'logits', testAccuracy: null })).rejects.toThrow(
      new RegExp(`Could not export the model to ${target}: .*Choose a folder you can write to\\.`),
    );
    net.dispose();
  });
});
