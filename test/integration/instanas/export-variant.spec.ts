import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type NasApp } from '../../../src/main/app';
import { parseSearchConfig } from '../../../src/shared/config';
import type { TrainerEvent } from '../../../src/shared/events';
import { TRAINER_JS } from '../../support/nas-server';
import { instanasResultFixture } from '../../support/instanas-result';
import { tempDir } from '../datasets/fixtures';

// runs.exportVariant's refusals through the app's request path, on a real store: each says what is wrong and
// what to do. (The export itself, of a variant a real search kept, is exercised by test/e2e/instanas.spec.ts.)

describe('runs.exportVariant refusals', () => {
  let tmp: ReturnType<typeof tempDir>;
  let app: NasApp;
  beforeEach(() => {
    tmp = tempDir('nas-export-variant-');
    const dataDir = join(tmp.dir, 'data');
    mkdirSync(dataDir);
    app = createApp({ dataDir, mode: 'headless', trainerScript: TRAINER_JS });
  });
  afterEach(async () => {
    await app.close();
    tmp.dispose();
  });

  const instanasConfig = () => parseSearchConfig({ dataset: '1', space: { name: 'mobilenet', widthMult: 0.25, blocks: 7 }, strategy: { name: 'instanas', pretrainEpochs: 1, epochs: 2 } });
  const result = (extra: Record<string, unknown> = {}) => ({ type: 'result', genotype: null, arch: null, nb201: null, trainAccuracy: 0.5, valAccuracy: 0.5, seconds: 1, ...extra }) as TrainerEvent;

  it('names the run, its state, its variants and the missing files', async () => {
    const store = app.store;
    const other = store.runs.create(parseSearchConfig({ dataset: '1', space: { name: 'nb201' }, strategy: { name: 'darts', epochs: 1 } }), { id: null, name: 'demo' }, { status: 'completed' });
    await expect(app.invoke('runs.exportVariant', { id: other, label: 'A' })).rejects.toThrow(/darts run; only InstaNAS runs have variants/);
    await expect(app.invoke('runs.exportVariant', { id: 999, label: 'A' })).rejects.toThrow(/There is no run 999/);

    const running = store.runs.create(instanasConfig(), { id: null, name: 'demo' }, { status: 'running' });
    await expect(app.invoke('runs.exportVariant', { id: running, label: 'A' })).rejects.toThrow(/is running: its variants can be exported once it has completed/);

    const done = store.runs.create(instanasConfig(), { id: null, name: 'demo' }, { status: 'completed' });
    store.ingest(done, [result({ instanas: instanasResultFixture(7) })]);
    const unknown = await app.invoke('runs.exportVariant', { id: done, label: 'Z' }).catch((e: { message: string; hint?: string }) => e);
    expect(unknown).toMatchObject({ message: expect.stringMatching(/has no variant 'Z'/), hint: 'Its variants are A, B, C, D, E.' });
    // The stored result names a checkpoint, but this run's folder holds no search (never trained here).
    await expect(app.invoke('runs.exportVariant', { id: done, label: 'B' })).rejects.toThrow(/holds no InstaNAS search/);
  });
});
