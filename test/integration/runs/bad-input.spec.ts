import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, demoConfig, makeTempDir, startServer, type ServerProcess } from '../../support/nas-server';

// Bad input through the real HTTP API: a clear 4xx naming the problem, and nothing added.

describe('bad input', () => {
  const tmp = makeTempDir('nas-runs-bad-');
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

  test('runs.create with an invalid config is a 400 naming the field, and creates nothing', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [demoConfig(datasetId, { epochs: 0 }), /config\.strategy\.epochs/],
      [demoConfig(datasetId, { batchSize: 'big' }), /config\.batchSize/],
      [{ ...demoConfig(datasetId), space: { name: 'resnet' } }, /config\.space\.name/],
      [{ ...demoConfig(datasetId), strategy: { name: 'enas' } }, /config\.strategy\.name/],
      [demoConfig(datasetId, { wLr: 0.01, wLrMin: 0.1 }), /config\.strategy\.wLrMin: must not exceed the weight learning rate/],
      [demoConfig(datasetId, { space: 'darts', channels: 5 }), /config\.space\.channels: must be even/],
      [{ ...demoConfig(datasetId), strategy: { name: 'sgas-es', esFactor: 0.9 } }, /config\.strategy\.esFactor/],
      [{ ...demoConfig(datasetId), learningRate: 1 }, /learningRate/],
      [{ epochs: 2 }, /config\.dataset/],
    ];
    for (const [config, field] of cases) {
      const r = await s.raw('runs.create', { config });
      expect(r.status, JSON.stringify(config)).toBe(400);
      expect(r.body.error).toMatch(/^Invalid request runs\.create: /);
      expect(r.body.error).toMatch(field);
    }
    const notJson = await fetch(`${s.origin}/api/runs.create`, { method: 'POST', headers: { 'x-nas-token': s.token }, body: '{oops' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toMatch(/not valid JSON/);
    const noToken = await fetch(`${s.origin}/api/runs.list`, { method: 'POST', body: '{}' });
    expect(noToken.status).toBe(401);
    expect(await s.call('runs.list', {})).toEqual([]);
  });

  test('runs.create with too few training images for the dataset is a 400 before anything trains', async () => {
    const r = await s.raw('runs.create', { config: demoConfig(datasetId, { trainLimit: 5 }) });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/trainLimit: Only 5 training images for 10 classes.*at least 40/);
    expect(await s.call('runs.list', {})).toEqual([]);
  });

  test('runs.create with an unknown dataset id is refused with a message naming it, and creates nothing', async () => {
    const r = await s.raw('runs.create', { config: demoConfig(999) });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body.error).toMatch(/Dataset 999 is not in the dataset list/);
    expect(await s.call('runs.list', {})).toEqual([]);
  });

  test('importing a truncated IDX file is refused with a message naming the file, and nothing is added', async () => {
    const demo = join(ROOT, 'resources', 'demo-fashion-mnist');
    const images = gunzipSync(readFileSync(join(demo, 'train-images-idx3-ubyte.gz')));
    const truncated = join(tmp.dir, 'truncated-train-images-idx3-ubyte');
    writeFileSync(truncated, images.subarray(0, Math.floor(images.length / 2)));
    const before = await s.call<unknown[]>('datasets.list', {});
    const r = await s.raw('datasets.import', {
      name: 'Truncated',
      trainImages: truncated,
      trainLabels: join(demo, 'train-labels-idx1-ubyte.gz'),
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body.error).toContain('truncated-train-images-idx3-ubyte');
    expect(r.body.error).toMatch(/truncat|short|expected/i);
    expect(await s.call('datasets.list', {})).toEqual(before);
    // Nothing copied into the data folder for it.
    const dsDir = join(tmp.dir, 'data', 'datasets');
    const copies = existsSync(dsDir) ? readdirSync(dsDir) : [];
    expect(copies.filter((d) => /Truncated/.test(d))).toEqual([]);

    const missing = await s.raw('datasets.import', { name: 'Missing', trainImages: join(tmp.dir, 'nope.gz'), trainLabels: join(tmp.dir, 'nope2.gz') });
    expect(missing.status).toBeGreaterThanOrEqual(400);
    expect(missing.body.error).toContain('nope.gz');
    expect(await s.call('datasets.list', {})).toEqual(before);
  });
});
