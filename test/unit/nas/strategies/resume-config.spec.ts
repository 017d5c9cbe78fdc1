import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { Rng, hashSeed } from '../../../../src/main/nas/engine/rng';
import { checkpointFile } from '../../../../src/main/nas/job';
import { spaceImplementation } from '../../../../src/main/nas/spaces/registry';
import { createStrategy } from '../../../../src/main/nas/strategies/registry';
import { parseSearchConfig, type SearchConfig } from '../../../../src/shared/config';
import { DEMO_NORMALIZATION, demoImages } from '../fixtures';

// A checkpoint carries the config of the run that wrote it; a resume under other settings is refused and
// the message names every setting that differs.

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'nas-resume-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function strategyFor(config: SearchConfig) {
  const train = demoImages(40);
  const space = spaceImplementation(config.space);
  const net = space.build(config.space, [train.height, train.width, train.channels], train.classes, new Rng(hashSeed(config.seed, 1)));
  return createStrategy({
    config,
    net,
    space,
    data: { train, normalization: DEMO_NORMALIZATION },
    emit: () => {},
    runDir: dir,
    recompute: false,
    checkpointPath: (epoch, step, globalStep) => checkpointFile(dir, epoch, step, globalStep),
  });
}

const base = { dataset: 'demo', augment: false, batchSize: 10, seed: 4, space: { name: 'darts', channels: 4, cells: 1, nodes: 2, ops: ['none', 'skip_connect', 'max_pool_3x3'] } } as const;

describe('resume checks the checkpoint against the run config', () => {
  it('continues under the same config (name, backend and recompute may change) and refuses another, naming what differs', async () => {
    const config = parseSearchConfig({ ...base, strategy: { name: 'darts', epochs: 2 } });
    const first = strategyFor(config);
    let steps = 0;
    await first.run({ interrupt: () => (++steps > 2 ? 'pause' : null) });
    first.dispose();
    const [ckpt] = readdirSync(join(dir, 'checkpoints'));
    const path = join(dir, 'checkpoints', ckpt!);

    const same = strategyFor(parseSearchConfig({ ...base, name: 'renamed', backend: 'cpu', strategy: { name: 'darts', epochs: 2 } }));
    expect(() => same.restore(path)).not.toThrow();
    same.dispose();

    const other = strategyFor(parseSearchConfig({ ...base, seed: 9, strategy: { name: 'darts', epochs: 3, wLr: 0.05 } }));
    expect(() => other.restore(path)).toThrow(/seed: 4 in the checkpoint, 9 now; strategy\.epochs: 2 in the checkpoint, 3 now; strategy\.wLr: 0\.025 in the checkpoint, 0\.05 now/);
    other.dispose();
  });
});
