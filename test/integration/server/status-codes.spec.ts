import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer as startInProcess } from '../../../src/main/server';
import { demoConfig, makeTempDir, startServer, waitFor, type ServerProcess } from '../../support/nas-server';
import { http } from './http';

// One meaning per status code, on the real server: 400 bad input (labelled by the argument), 404 no such
// run / dataset / request, 409 the wrong state for the request, 405 a method the route does not take,
// 500 a fault of the server itself, with its message.

describe('headless server status codes', () => {
  const tmp = makeTempDir('nas-it-status-');
  let s: ServerProcess;
  let datasetId: number;
  beforeAll(async () => {
    s = await startServer(tmp.dir);
    datasetId = (await s.call<{ id: number }>('datasets.importBuiltin', { which: 'demo' })).id;
  });
  afterAll(async () => {
    await s?.stop();
    tmp.dispose();
  });

  test('400: arguments of the wrong type are named, not blamed on the whole request', async () => {
    const byType = await s.raw('runs.get', { id: 'seven' });
    expect(byType.status).toBe(400);
    expect(byType.body.error).toMatch(/\bid: must be a number/);
    const missing = await s.raw('runs.get', {});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/\bid: is required/);
    const unknownKey = await s.raw('runs.create', { config: { ...demoConfig(datasetId), learningRate: 1 } });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.error).toMatch(/config\.learningRate: not a known argument/);
    expect(unknownKey.body.error).not.toMatch(/(^|; )config: /);
  });

  test('400: a dataset id must be a plain number ("0x1", "1e0", " 1" are not dataset 1), and nothing is created', async () => {
    for (const dataset of ['0x1', '1e0', ' 1', '1.0', '+1', 'Fashion-MNIST demo']) {
      const r = await s.raw('runs.create', { config: demoConfig(datasetId, { dataset }) });
      expect(r.status, dataset).toBe(400);
      expect(r.body.error).toMatch(/^dataset: must be a number/);
      expect(r.body.error).toContain(JSON.stringify(dataset));
    }
    expect(await s.call('runs.list', {})).toEqual([]);
  });

  test('404: unknown run, dataset or request', async () => {
    for (const channel of ['runs.get', 'runs.resume', 'runs.pause', 'runs.cancel', 'runs.delete', 'runs.metrics', 'runs.logs']) {
      const r = await s.raw(channel, { id: 999 });
      expect(r.status, channel).toBe(404);
      expect(r.body.error).toMatch(/no run 999/);
    }
    const samples = await s.raw('datasets.samples', { id: 999 });
    expect(samples.status).toBe(404);
    expect(samples.body.error).toMatch(/no dataset 999/);
    const unknownDataset = await s.raw('runs.create', { config: demoConfig(999) });
    expect(unknownDataset.status).toBe(404);
    expect(unknownDataset.body.error).toMatch(/Dataset 999 is not in the dataset list/);
    const unknownChannel = await s.raw('runs.explode', {});
    expect(unknownChannel.status).toBe(404);
    expect(unknownChannel.body.error).toMatch(/Unknown request 'runs\.explode'/);
  });

  test('409: resuming, pausing or cancelling a completed run', async () => {
    const { id } = await s.call<{ id: number }>('runs.create', { config: demoConfig(datasetId, { epochs: 1, trainLimit: 200 }) });
    await waitFor(async () => (await s.call('runs.get', { id })).status === 'completed', 'the run to complete', { timeoutMs: 90_000, intervalMs: 200 });
    for (const [channel, pattern] of [
      ['runs.resume', /Run \d+ is completed; only paused, failed or cancelled runs can be resumed/],
      ['runs.pause', /is not running/],
      ['runs.cancel', /Run \d+ is completed/],
    ] as const) {
      const r = await s.raw(channel, { id });
      expect(r.status, channel).toBe(409);
      expect(r.body.error).toMatch(pattern);
    }
  });

  test('405 with Allow: pages take GET and HEAD, requests POST, the event stream GET', async () => {
    for (const method of ['DELETE', 'PUT', 'POST', 'PATCH', 'OPTIONS']) {
      const r = await http(s.origin, '/', { method });
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
    }
    const head = await http(s.origin, '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toMatch(/text\/html/);
    expect(head.body).toBe('');
    const get = await http(s.origin, '/api/runs.list', { headers: { 'x-nas-token': s.token } });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const postEvents = await http(s.origin, '/api/events', { method: 'POST', headers: { 'x-nas-token': s.token } });
    expect(postEvents.status).toBe(405);
    expect(postEvents.headers.allow).toBe('GET');
  });

  test('500: a fault in the server (here: its database closed under it) answers with the message, not a 4xx', async () => {
    const dir = makeTempDir('nas-it-fault-');
    const server = await startInProcess({ port: 0, host: '127.0.0.1', dataDir: dir.dir });
    try {
      const origin = new URL(server.url).origin;
      expect((await http(origin, '/api/runs.list', { method: 'POST', headers: { 'x-nas-token': server.token }, body: '{}' })).status).toBe(200);
      server.app.store.close();
      const r = await http(origin, '/api/runs.list', { method: 'POST', headers: { 'x-nas-token': server.token }, body: '{}' });
      expect(r.status).toBe(500);
      const body = JSON.parse(r.body) as { error: string; hint: string };
      expect(body.error).toMatch(/database connection is not open/);
      expect(body.hint).toMatch(/fault in the server, not in your request/);
    } finally {
      await server.close();
      dir.dispose();
    }
  });
});
