/**
 * Dispatch on a real lab: redis-server on loopback, three worker processes forking the built trainer, the
 * coordinator in this process on a real SQLite file. Six tiny searches each complete exactly once, on the
 * workers, with no duplicate or missing metric; replaying a run's whole event stream changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import type { DispatchCoordinator } from '../../../src/main/dispatch/coordinator';
import { ingestEntries } from '../../../src/main/dispatch/ingest';
import { FolderFiles } from '../../../src/main/dispatch/files';
import { streamKey } from '../../../src/main/dispatch/protocol';
import type { Store } from '../../../src/main/store/store';
import { makeTempDir, requireBuild } from '../../support/nas-server';
import { createRun, openLab, openStore, redisServerPath, waitRun, type Lab } from './harness';
import { Redis } from 'ioredis';

const haveRedis = redisServerPath() !== null;
if (!haveRedis) console.warn('Skipping the dispatch tests: redis-server is not installed (apt-get install redis-server).');

/** Everything a run stored, as rows: what a replay must leave unchanged. */
export function dump(db: Database.Database, runId: number) {
  const all = (sql: string) => db.prepare(sql).all(runId);
  return {
    run: db.prepare('SELECT status, error, progress, best_accuracy, arch, genotype, ran_on, last_checkpoint_epoch FROM runs WHERE id = ?').get(runId),
    metrics: all('SELECT name, step, epoch, value FROM metrics WHERE run_id = ? ORDER BY name, step'),
    snapshots: all('SELECT epoch, kind, payload FROM snapshots WHERE run_id = ? ORDER BY id'),
    decisions: all('SELECT epoch, cell_type, edge, op, scores FROM decisions WHERE run_id = ? ORDER BY id'),
    artifacts: all('SELECT kind, epoch, path, size FROM artifacts WHERE run_id = ? ORDER BY id'),
    logs: all('SELECT level, message FROM logs WHERE run_id = ? ORDER BY id'),
    attempts: all('SELECT attempt, worker, outcome, last_seq FROM run_attempts WHERE run_id = ? ORDER BY attempt'),
  };
}

describe.skipIf(!haveRedis)('dispatch to three workers', () => {
  const tmp = makeTempDir('nas-dispatch-');
  let lab: Lab;
  let store: Store;
  let coordinator: DispatchCoordinator;

  beforeAll(async () => {
    requireBuild();
    lab = await openLab(tmp.dir);
    ({ store } = openStore(`${tmp.dir}/coordinator`));
    coordinator = lab.coordinator(store);
    await coordinator.start();
    await Promise.all(['w1', 'w2', 'w3'].map((n) => lab.startWorker(n)));
  }, 120_000);

  afterAll(async () => {
    await lab?.close();
    store?.close();
    tmp.dispose();
  });

  it('six runs each complete exactly once, with every metric stored once', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => createRun(store, i === 5 ? 'w2' : 'any'));
    for (const id of ids) await coordinator.submit(id);
    for (const id of ids) await waitRun(store, id, 'completed', 240_000);

    const workers = new Set<string>();
    for (const id of ids) {
      const attempts = store.dispatch.attempts(id);
      expect(attempts, JSON.stringify(attempts)).toHaveLength(1);
      expect(attempts[0]!.outcome).toBe('completed');
      const ranOn = store.dispatch.ranOn(id)!;
      expect(attempts[0]!.worker).toBe(ranOn);
      workers.add(ranOn);
      // Each training step's loss once (the metrics key), steps 1..N without a gap, epochs 0..2.
      const loss = store.db.prepare("SELECT step, epoch FROM metrics WHERE run_id = ? AND name = 'train_loss' ORDER BY step").all(id) as { step: number; epoch: number }[];
      expect(loss.length).toBeGreaterThan(0);
      expect(loss.map((r) => r.step)).toEqual(Array.from({ length: loss.length }, (_, i) => loss[0]!.step + i));
      const epochs = store.db.prepare("SELECT epoch FROM metrics WHERE run_id = ? AND name = 'val_acc' ORDER BY step").pluck().all(id);
      expect(epochs).toHaveLength(3);
      // One 'started' line, one end line: the run was trained exactly once.
      const lines = store.logs.list(id).map((l) => l.message);
      expect(lines.filter((m) => /^Attempt 1 started on worker/.test(m))).toHaveLength(1);
      expect(lines.filter((m) => /^Run completed on worker/.test(m))).toHaveLength(1);
      expect(store.runs.get(id)!.arch).toBeTruthy();
    }
    expect(store.dispatch.ranOn(ids[5]!)).toBe('w2');
    expect(workers.size).toBeGreaterThan(1);
    const listed = await coordinator.workers();
    expect(listed.map((w) => w.name)).toEqual(['w1', 'w2', 'w3']);
    expect(listed.every((w) => w.state === 'idle' && w.capabilities.cores > 0)).toBe(true);
  }, 300_000);

  it('a replayed event stream leaves the database unchanged', async () => {
    const id = store.runs.list({ status: 'completed', sort: 'createdAt', direction: 'asc' })[0]!.id;
    const before = dump(store.db, id);
    const redis = new Redis(lab.redis.url);
    const entries = (await redis.xrange(streamKey(id), '-', '+')) as [string, string[]][];
    expect(entries.length).toBeGreaterThan(10);
    // The whole stream again, from the start (as after a lost cursor), and a second copy appended to it (as a
    // worker re-sending after a reconnect).
    ingestEntries(store, new FolderFiles(lab.filesDir), id, entries);
    for (const [, fields] of entries) await redis.xadd(streamKey(id), '*', ...fields);
    store.dispatch.setCursor(id, '0');
    const again = (await redis.xrange(streamKey(id), '-', '+')) as [string, string[]][];
    const result = ingestEntries(store, new FolderFiles(lab.filesDir), id, again);
    expect(result.applied).toBe(0);
    expect(result.dropped).toBe(again.length);
    expect(dump(store.db, id)).toEqual(before);
    redis.disconnect();
  });
});
