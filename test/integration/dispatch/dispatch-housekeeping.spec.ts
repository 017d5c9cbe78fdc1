/**
 * What a lab leaves behind, on a real lab (redis-server, a worker process, the built trainer): a finished
 * run's stream and control hash expire in Redis, the worker keeps no work folder; a run sent to a named worker
 * that dies is noticed by the coordinator alone (no other worker of that queue would), so a cancel there ends;
 * a worker leaves within seconds of SIGTERM when Redis is gone.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DispatchCoordinator } from '../../../src/main/dispatch/coordinator';
import { controlKey, streamKey } from '../../../src/main/dispatch/protocol';
import type { Store } from '../../../src/main/store/store';
import { makeTempDir, requireBuild, waitFor } from '../../support/nas-server';
import { TEST_TIMINGS, createRun, openLab, openStore, redisServerPath, tinyConfig, waitRun, type ChildHandle, type Lab } from './harness';

describe.skipIf(redisServerPath() === null)('dispatch housekeeping', () => {
  const tmp = makeTempDir('nas-dispatch-tidy-');
  let lab: Lab;
  let store: Store;
  let coordinator: DispatchCoordinator;
  let redis: Redis;
  let w1: ChildHandle;

  beforeAll(async () => {
    requireBuild();
    lab = await openLab(tmp.dir);
    ({ store } = openStore(`${tmp.dir}/coordinator`));
    coordinator = lab.coordinator(store);
    await coordinator.start();
    redis = new Redis(lab.redis.url);
    redis.on('error', () => undefined); // the last test stops Redis
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await lab?.close();
    store?.close();
    tmp.dispose();
  });

  it("a finished run's keys expire in Redis; the worker keeps its data set but no work folder", async () => {
    w1 = await lab.startWorker('w1');
    const id = createRun(store, 'w1', tinyConfig({ epochs: 1 }));
    await coordinator.submit(id);
    await waitRun(store, id, 'completed');
    for (const key of [streamKey(id), controlKey(id)]) {
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(23 * 3600_000);
      expect(ttl, key).toBeLessThanOrEqual(24 * 3600_000);
    }
    const workDir = join(tmp.dir, 'workers', 'w1');
    expect(readdirSync(join(workDir, 'runs')), 'work folders left').toEqual([]);
    expect(readdirSync(join(workDir, 'cache')).length, 'the cached data set').toBeGreaterThan(0);
  }, 180_000);

  it('a run on a named worker that dies, then cancelled: cancelled once its lock expires, not left running', async () => {
    const w2 = await lab.startWorker('w2');
    const id = createRun(store, 'w2', tinyConfig({ epochs: 30 }));
    await coordinator.submit(id);
    await waitFor(() => store.runs.summary(id)?.status === 'running' && store.metrics.count(id) > 0, `run ${id} to train`, { timeoutMs: 60_000 });
    w2.killGroup();
    await coordinator.cancel(id);
    // w1 takes only its own queue's and the shared queue's jobs: only the coordinator can notice w2's lock.
    await waitRun(store, id, 'cancelled', TEST_TIMINGS.lockMs + 10_000);
    expect(store.dispatch.attempts(id)).toMatchObject([{ attempt: 1, worker: 'w2', outcome: 'cancelled' }]);
  }, 120_000);

  it('a worker that leaves mid-run (one SIGTERM) stops its trainer and its run moves on at once, not after the lock', async () => {
    // w1 (from the first test) is the only worker alive: it takes the run.
    const id = createRun(store, 'any', tinyConfig({ epochs: 10 }));
    await coordinator.submit(id);
    await waitFor(() => store.runs.summary(id)?.status === 'running' && store.metrics.count(id) > 0, `run ${id} to train`, { timeoutMs: 60_000 });
    expect(store.dispatch.ranOn(id)).toBe('w1');
    const exited = new Promise((r) => w1.proc.once('exit', r));
    const asked = Date.now();
    w1.proc.kill('SIGTERM');
    await exited;
    await waitFor(() => store.dispatch.current(id)?.attempt === 2 || null, 'attempt 2', { timeoutMs: 15_000 });
    expect(Date.now() - asked, 'moved before the lock would have expired').toBeLessThan(TEST_TIMINGS.lockMs + 2000);
    expect(store.logs.list(id).some((l) => /^Attempt 1 lost: worker w1 left the lab while training it\. The run continues as attempt 2/.test(l.message))).toBe(true);
    await lab.startWorker('w4');
    await waitRun(store, id, 'completed', 120_000);
    expect(store.dispatch.ranOn(id)).toBe('w4');
  }, 180_000);

  it('a worker leaves within seconds of one SIGTERM when Redis is gone', async () => {
    const w3 = await lab.startWorker('w3');
    await lab.redis.stop();
    const asked = Date.now();
    const exited = new Promise((r) => w3.proc.once('exit', r));
    w3.proc.kill('SIGTERM');
    await exited;
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(w3.output()).toMatch(/Could not tell Redis within 5 s that this worker leaves; leaving anyway/);
  }, 60_000);
});
