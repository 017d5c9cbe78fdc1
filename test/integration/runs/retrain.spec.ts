import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoConfig, makeTempDir, startServer, waitFor, type ServerProcess } from '../../support/nas-server';

// runs.retrain through the real headless server and trainer: refused (409) while the search has no
// architecture, then a queued retrain of the architecture it found, linked both ways (parentId / children),
// trained on the demo set and measured on its test split, with the model exported into the run's folder.

describe('runs.retrain', () => {
  const tmp = makeTempDir('nas-runs-retrain-');
  let s: ServerProcess;
  let datasetId: number;
  beforeAll(async () => {
    s = await startServer(join(tmp.dir, 'data'));
    datasetId = (await s.call<{ id: number }>('datasets.importBuiltin', { which: 'demo' })).id;
  });
  afterAll(async () => {
    await s?.stop();
    tmp.dispose();
  });

  const waitDone = (id: number) =>
    waitFor(
      async () => {
        const r = await s.call<any>('runs.get', { id });
        if (r.status === 'failed') throw new Error(`run ${id} failed: ${r.error}`);
        return r.status === 'completed' ? r : null;
      },
      `run ${id} to complete`,
      { timeoutMs: 300_000, intervalMs: 250 },
    );

  test('retrains a finished search’s architecture as its child, and refuses before there is one', async () => {
    const { id: searchId } = await s.call<{ id: number }>('runs.create', { config: demoConfig(datasetId, { epochs: 1 }) });
    const early = await s.raw('runs.retrain', { id: searchId });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatch(new RegExp(`Run ${searchId} has no architecture yet`));
    expect(early.body.hint).toMatch(/once it has completed/);
    expect((await s.raw('runs.retrain', { id: 99_999 })).status).toBe(404);

    const search = await waitDone(searchId);
    const { id } = await s.call<{ id: number }>('runs.retrain', {
      id: searchId,
      overrides: { trainLimit: 200, batchSize: 50, space: { channels: 4, cells: 1 }, strategy: { epochs: 1 } },
    });
    const queued = await s.call<any>('runs.get', { id });
    expect(queued).toMatchObject({ kind: 'retrain', parentId: searchId, strategy: 'retrain' });
    expect(queued.config.strategy).toMatchObject({ name: 'retrain', architecture: search.arch, epochs: 1 });
    expect(queued.config.dataset).toBe(search.config.dataset);
    const parent = await s.call<any>('runs.get', { id: searchId });
    expect(parent.children).toEqual([expect.objectContaining({ id, kind: 'retrain' })]);

    const done = await waitDone(id);
    expect(done.arch).toBe(search.arch);
    expect(done.evaluation.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(done.evaluation.testAccuracy).toBeLessThanOrEqual(1);
    expect(done.evaluation.params).toBeGreaterThan(0);
    expect(done.evaluation.latencyMs).toBeGreaterThan(0);
    expect(existsSync(join(done.evaluation.exportDir, 'model.json'))).toBe(true);
    const series = await s.call<Record<string, [number, number, number][]>>('runs.metrics', { id });
    expect(series.test_acc!.at(-1)![2]).toBe(done.evaluation.testAccuracy);

    // Bad overrides name the field.
    const bad = await s.raw('runs.retrain', { id: searchId, overrides: { strategy: { epochs: 0 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/epochs/);
  }, 600_000);
});
