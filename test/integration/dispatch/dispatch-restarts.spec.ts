/**
 * Restarts on a real lab: the coordinator (its own process) killed with SIGKILL mid-run and started again
 * continues from the stream cursors in SQLite (no duplicate row, no lost event); Redis stopped and started
 * again on its append-only file loses no job.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntry, streamKey } from '../../../src/main/dispatch/protocol';
import type { Store } from '../../../src/main/store/store';
import { makeTempDir, requireBuild, waitFor } from '../../support/nas-server';
import { createRun, openLab, openStore, redisServerPath, tinyConfig, waitRun, type Lab } from './harness';

const haveRedis = redisServerPath() !== null;

describe.skipIf(!haveRedis)('dispatch across restarts', () => {
  const tmp = makeTempDir('nas-dispatch-restarts-');
  let lab: Lab;
  let store: Store;
  let dbPath: string;
  let redis: Redis;

  beforeAll(async () => {
    requireBuild();
    lab = await openLab(tmp.dir);
    ({ store, dbPath } = openStore(`${tmp.dir}/coordinator`));
    redis = new Redis(lab.redis.url);
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await lab?.close();
    store?.close();
    tmp.dispose();
  });

  it('the coordinator killed and restarted: no duplicate rows, no lost events', async () => {
    await lab.startWorker('w1');
    await lab.startWorker('w2');
    let coordinator = await lab.startCoordinatorProcess(dbPath);
    const ids = [createRun(store, 'any', tinyConfig({ epochs: 4 })), createRun(store, 'any', tinyConfig({ epochs: 4, seed: 7 }))];
    coordinator.proc.stdin!.write(`${ids.join('\n')}\n`);
    await waitFor(() => ids.every((id) => store.metrics.count(id) > 0), 'both runs to train', { timeoutMs: 90_000 });
    coordinator.killGroup();
    // The workers train on while no one reads their streams.
    await waitFor(async () => (await redis.xlen(streamKey(ids[0]!))) > store.dispatch.current(ids[0]!)!.lastSeq + 5, 'events to wait in the stream', { timeoutMs: 60_000 });
    coordinator = await lab.startCoordinatorProcess(dbPath);
    for (const id of ids) await waitRun(store, id, 'completed', 180_000);
    await coordinator.stop();

    for (const id of ids) {
      const entries = ((await redis.xrange(streamKey(id), '-', '+')) as [string, string[]][]).map(([, f]) => decodeEntry(f)!);
      const attempts = store.dispatch.attempts(id);
      expect(attempts).toHaveLength(1);
      // Every entry the worker sent was applied, once: the attempt's sequence reached the last one.
      expect(attempts[0]!.lastSeq).toBe(entries.length);
      expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
      const events = entries.flatMap((e) => (e.entry.kind === 'event' ? [e.entry.event] : []));
      const metricKeys = new Set(events.flatMap((e) => (e.type === 'metrics' ? Object.keys(e.values).filter((k) => Number.isFinite(e.values[k])).map((k) => `${k}@${e.step}`) : [])));
      expect(store.metrics.count(id)).toBe(metricKeys.size);
      const snapshots = events.filter((e) => e.type === 'snapshot').length;
      expect(store.db.prepare('SELECT count(*) FROM snapshots WHERE run_id = ?').pluck().get(id)).toBe(snapshots);
      const checkpoints = events.filter((e) => e.type === 'checkpoint').length;
      expect(store.artifacts.list(id)).toHaveLength(checkpoints);
      // Trainer log lines, plus the coordinator's 'started' and 'completed' lines, each once.
      const logs = events.filter((e) => e.type === 'log' || e.type === 'error').length;
      expect(store.logs.list(id)).toHaveLength(logs + 2);
    }
  }, 360_000);

  it('Redis restarted with its append-only file loses no job', async () => {
    const coordinator = lab.coordinator(store);
    await coordinator.start();
    // Sent to w3, which joins only after the restart: the jobs wait in Redis meanwhile.
    const ids = [1, 2, 3].map(() => createRun(store, 'w3', tinyConfig({ epochs: 1 })));
    for (const id of ids) await coordinator.submit(id);
    await lab.redis.restart();
    await lab.startWorker('w3');
    for (const id of ids) await waitRun(store, id, 'completed', 180_000);
    for (const id of ids) expect(store.dispatch.attempts(id)).toMatchObject([{ attempt: 1, worker: 'w3', outcome: 'completed' }]);
  }, 300_000);
});
