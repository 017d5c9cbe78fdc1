/**
 * Faults on a real lab (redis-server, worker processes, the built trainer): a worker killed mid-run or cut off
 * from Redis loses its lock and the run finishes on another worker from its last checkpoint as attempt 2,
 * with the same values as an uninterrupted run; the cut-off worker's late events are dropped and its trainer
 * stopped; a cancel reaches the worker that trains the run within seconds and the job is not retried.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DispatchCoordinator } from '../../../src/main/dispatch/coordinator';
import { decodeEntry, jobId, streamKey } from '../../../src/main/dispatch/protocol';
import type { Store } from '../../../src/main/store/store';
import { makeTempDir, requireBuild, waitFor } from '../../support/nas-server';
import { TEST_TIMINGS, createRun, openLab, openStore, redisServerPath, tinyConfig, waitRun, type ChildHandle, type Lab } from './harness';
import { startProxy } from './proxy';
import { Queue } from 'bullmq';

const haveRedis = redisServerPath() !== null;

/** Metric values by name and step, without wall-clock timings. */
function values(store: Store, id: number): Record<string, [number, number][]> {
  const out: Record<string, [number, number][]> = {};
  for (const [name, points] of Object.entries(store.metrics.series(id))) {
    // Measured on the machine, not computed by the search: wall times and the trainer's CPU use.
    if (/seconds|time|_ms$|^cpu_cores$/.test(name)) continue;
    out[name] = points.map(([step, , value]) => [step, value]);
  }
  return out;
}

describe.skipIf(!haveRedis)('dispatch faults', () => {
  const tmp = makeTempDir('nas-dispatch-faults-');
  let lab: Lab;
  let store: Store;
  let coordinator: DispatchCoordinator;
  let redis: Redis;
  const workers = new Map<string, ChildHandle>();
  const config = tinyConfig({ epochs: 4 });
  let reference: Record<string, [number, number][]>;

  beforeAll(async () => {
    requireBuild();
    lab = await openLab(tmp.dir);
    ({ store } = openStore(`${tmp.dir}/coordinator`));
    coordinator = lab.coordinator(store);
    await coordinator.start();
    redis = new Redis(lab.redis.url);
    workers.set('w1', await lab.startWorker('w1'));
    // The uninterrupted run the interrupted ones must equal.
    const id = createRun(store, 'w1', config);
    await coordinator.submit(id);
    await waitRun(store, id, 'completed');
    reference = values(store, id);
  }, 240_000);

  afterAll(async () => {
    redis?.disconnect();
    await lab?.close();
    store?.close();
    tmp.dispose();
  });

  async function firstCheckpoint(id: number) {
    await waitFor(() => store.artifacts.latest(id), `run ${id}'s first checkpoint`, { timeoutMs: 120_000 });
  }

  it("a worker's process group killed mid-run: the run finishes on another worker from its checkpoint", async () => {
    const id = createRun(store, 'any', config);
    await coordinator.submit(id);
    await firstCheckpoint(id);
    const victim = store.dispatch.ranOn(id)!;
    expect(victim).toBe('w1');
    workers.set('w2', await lab.startWorker('w2'));
    workers.get(victim)!.killGroup();
    await waitRun(store, id, 'completed', 180_000);

    const [a1, a2] = store.dispatch.attempts(id);
    expect(a1).toMatchObject({ attempt: 1, worker: 'w1', outcome: 'lost' });
    expect(a2).toMatchObject({ attempt: 2, worker: 'w2', outcome: 'completed' });
    expect(a2!.resumedFromEpoch).not.toBeNull();
    expect(store.logs.list(id).some((l) => /^Attempt 1 lost: .*attempt 2 from its last checkpoint/.test(l.message))).toBe(true);
    expect(store.logs.list(id).some((l) => /^Attempt 2 started on worker w2, resuming from the checkpoint of epoch \d/.test(l.message))).toBe(true);
    expect(values(store, id)).toEqual(reference);
  }, 300_000);

  it('a worker cut off from Redis: the run moves, the zombie\'s late events are dropped and its trainer stopped', async () => {
    // w1 (killed above) comes back behind a proxy the test can cut.
    const proxy = await startProxy(lab.redis.port);
    try {
      workers.get('w2')!.killGroup();
      const zombie = await lab.startWorker('w1', proxy.url);
      const id = createRun(store, 'any', config);
      await coordinator.submit(id);
      await firstCheckpoint(id);
      expect(store.dispatch.ranOn(id)).toBe('w1');
      workers.set('w2', await lab.startWorker('w2'));
      proxy.cut();
      await waitFor(() => store.dispatch.current(id)?.attempt === 2 && store.dispatch.ranOn(id) === 'w2', 'the run to move to w2', { timeoutMs: 60_000 });
      const fence = store.dispatch.attempts(id)[0]!.lastSeq;
      proxy.heal();
      // The zombie delivers what it held, learns of attempt 2 and stops its trainer.
      await waitFor(() => new RegExp(`Run ${id}, attempt 1: `).test(zombie.output()), "the zombie's trainer to stop", { timeoutMs: 30_000 });
      await waitRun(store, id, 'completed', 180_000);
      const late = ((await redis.xrange(streamKey(id), '-', '+')) as [string, string[]][])
        .map(([, f]) => decodeEntry(f)!)
        .filter((e) => e.attempt === 1 && e.seq > fence);
      expect(late.length).toBeGreaterThan(0);
      const [a1, a2] = store.dispatch.attempts(id);
      expect(a1).toMatchObject({ worker: 'w1', outcome: 'lost', lastSeq: fence });
      expect(a2).toMatchObject({ worker: 'w2', outcome: 'completed' });
      expect(values(store, id)).toEqual(reference);
    } finally {
      proxy.close();
    }
  }, 300_000);

  it('cancel of a run on a worker stops it within seconds and the job is not retried', async () => {
    const id = createRun(store, 'w2', tinyConfig({ epochs: 30 }));
    await coordinator.submit(id);
    await waitFor(() => store.runs.summary(id)?.status === 'running' && store.metrics.count(id) > 0, `run ${id} to train`, { timeoutMs: 60_000 });
    const asked = Date.now();
    await coordinator.cancel(id);
    await waitRun(store, id, 'cancelled', 15_000);
    expect(Date.now() - asked).toBeLessThan(10_000);
    // Longer than a lock and a stalled check: a retried job would have started attempt 2 by now.
    await new Promise((r) => setTimeout(r, TEST_TIMINGS.lockMs + 3 * TEST_TIMINGS.stalledCheckMs));
    expect(store.dispatch.attempts(id)).toMatchObject([{ attempt: 1, worker: 'w2', outcome: 'cancelled' }]);
    expect(store.runs.summary(id)!.status).toBe('cancelled');
    const queue = new Queue(`nas-runs-w2`, { connection: { host: '127.0.0.1', port: lab.redis.port } });
    expect(await (await queue.getJob(jobId(id, 1)))!.getState()).toBe('completed');
    await queue.close();
    expect(workers.get('w2')!.output()).toMatch(new RegExp(`Run ${id}, attempt 1: stopped`));
  }, 120_000);
});
