import { it } from 'vitest';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { Batcher } from '../../../../src/main/nas/data/batcher';
import { Rng, hashSeed } from '../../../../src/main/nas/engine/rng';
import { buildNb201Supernet } from '../../../../src/main/nas/spaces/nb201';
import { DartsSearch } from '../../../../src/main/nas/strategies/darts';
import { batchTensors, crossEntropy } from '../../../../src/main/nas/strategies/one-shot';
import { DEMO_NORMALIZATION, demoImages, testConfig } from '../fixtures';

it('loss', async () => {
  await initBackend('wasm');
  const set = demoImages(256);
  for (const [c, lr, st] of [[4, 0.1, 2], [8, 0.1, 2], [16, 0.1, 1], [8, 0.2, 1]] as const) {
    const net = buildNb201Supernet({ channels: c, cellsPerStage: 1, stages: st, inputShape: [14, 14, 1], classes: 10 }, new Rng(hashSeed(8, 1)));
    const search = new DartsSearch(testConfig({ batchSize: 16, seed: 8, wLr: lr }), net, { train: set, normalization: DEMO_NORMALIZATION }, () => {}, () => '/tmp/x');
    const t0 = Date.now();
    const losses = Array.from({ length: 30 }, () => search.step().loss);
    console.log(c, lr, st, Date.now() - t0, losses.map((l) => l.toFixed(2)).join(' '));
    search.dispose();
  }
});
