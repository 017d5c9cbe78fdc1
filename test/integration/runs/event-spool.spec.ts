import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { parseSearchConfig, type SearchConfig } from '../../../src/shared/config';
import type { StorageStatus } from '../../../src/shared/api';
import type { TrainerEvent } from '../../../src/shared/events';
import { PendingWrites, SPOOL_FILE, type SpoolRecord } from '../../../src/main/runs/event-spool';
import { StorageGuard } from '../../../src/main/runs/storage-guard';
import { Store } from '../../../src/main/store/store';
import { makeTempDir } from '../../support/nas-server';

// The write-behind path of the run manager on a real SQLite file: a database that refuses to grow
// (PRAGMA max_page_count, a real SQLITE_FULL) queues writes in memory and in the run's spool file; they are
// written, in order, once it takes writes again; a spool left by a stopped app is replayed exactly once.

const metrics = (step: number, loss: number): TrainerEvent => ({ type: 'metrics', step, epoch: 0, values: { train_loss: loss } });

describe('pending writes', () => {
  const tmp = makeTempDir('nas-spool-');
  let store: Store | undefined;
  afterEach(() => {
    store?.close();
    store = undefined;
  });

  function open(): { store: Store; runId: number; runDir: (id: number) => string } {
    store = Store.open(join(tmp.dir, `db-${Math.random().toString(36).slice(2)}.db`));
    const config: SearchConfig = parseSearchConfig({ dataset: '1' });
    const runId = store.runs.create(config, { id: null, name: 'demo' });
    store.runs.setStatus(runId, 'running');
    return { store, runId, runDir: (id) => join(tmp.dir, 'runs', String(id)) };
  }

  test('a spool left by a stopped app is replayed at start-up, and a second replay stores nothing twice', () => {
    const { store: s, runId, runDir } = open();
    const records: SpoolRecord[] = [
      { time: 1000, events: [metrics(1, 2.5), { type: 'log', level: 'info', message: 'epoch 1' }] },
      { time: 2000, events: [{ type: 'snapshot', epoch: 0, kind: 'alpha', payload: { ops: ['a'], cells: { cell: [[0.25, 0.75]] } } }] },
      { time: 3000, events: [{ type: 'checkpoint', epoch: 1, path: '/x/epoch-1.ckpt', size: 10, checksum: 'c' }, metrics(2, 2.25)] },
      { time: 4000, status: { status: 'paused', error: 'The disk holding /d is full.' } },
    ];
    mkdirSync(runDir(runId), { recursive: true });
    const spool = join(runDir(runId), SPOOL_FILE);
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n{"time": 5000, "ev'; // torn last line
    for (let round = 0; round < 2; round++) {
      writeFileSync(spool, text);
      const p = new PendingWrites(s, runDir);
      p.load(join(tmp.dir, 'runs'));
      expect(p.drain('if-running')).toBe(true);
      expect(existsSync(spool)).toBe(false);
      expect(s.metrics.series(runId).train_loss).toEqual([[1, 0, 2.5], [2, 0, 2.25]]);
      expect(s.logs.list(runId)).toEqual([{ time: 1000, level: 'info', message: 'epoch 1' }]);
      expect(s.snapshots.list(runId, 'alpha')).toHaveLength(1);
      expect(s.artifacts.list(runId).map((a) => a.path)).toEqual(['/x/epoch-1.ckpt']);
      const run = s.runs.get(runId)!;
      expect(run.status).toBe('paused');
      expect(run.error).toBe('The disk holding /d is full.');
      // Between the rounds the user resumed: a stale status record must not pause the run again.
      s.runs.setStatus(runId, 'queued');
      s.runs.setStatus(runId, 'running');
    }
  });

  test('SQLITE_FULL: writes wait in order (memory and spool file), then reach SQLite when it takes writes again', async () => {
    const { store: s, runId, runDir } = open();
    const statuses: StorageStatus[] = [];
    let recovered = 0;
    const guard = new StorageGuard({ store: s, dataDir: tmp.dir, runDir, onStatus: (st) => statuses.push(st), onRecovered: () => recovered++ });
    guard.start();
    try {
      expect(guard.record(runId, { time: 1, events: [metrics(1, 3)] })).toBe(true);
      // The database may not grow any more: the next batch (a few hundred points) cannot be stored.
      const pages = s.db.pragma('page_count', { simple: true }) as number;
      s.db.pragma(`max_page_count = ${pages}`);
      const big = Array.from({ length: 400 }, (_, i) => metrics(2 + i, 1 / (i + 1)));
      expect(guard.record(runId, { time: 2, events: big })).toBe(false);
      expect(guard.fault?.reason).toMatch(/is full/);
      // Later writes of the run queue behind it, even small ones SQLite might have taken.
      expect(guard.record(runId, { time: 3, status: { status: 'paused', error: 'disk full' } })).toBe(false);
      expect(s.runs.get(runId)!.status).toBe('running');
      const spooled = readFileSync(join(runDir(runId), SPOOL_FILE), 'utf8').trim().split('\n');
      expect(spooled.map((l) => (JSON.parse(l) as SpoolRecord).time)).toEqual([2, 3]);
      await new Promise((r) => setTimeout(r, 1500)); // a retry round while still full
      expect(guard.pending.has(runId)).toBe(true);
      expect(statuses.at(-1)?.level).toBe('fault');

      s.db.pragma('max_page_count = 1073741823');
      await new Promise((r) => setTimeout(r, 1500));
      expect(guard.pending.has()).toBe(false);
      expect(guard.fault).toBeNull();
      expect(recovered).toBe(1);
      expect(statuses.at(-1)?.level).not.toBe('fault');
      expect(s.metrics.series(runId).train_loss).toHaveLength(401);
      expect(s.runs.get(runId)!.status).toBe('paused');
      expect(existsSync(join(runDir(runId), SPOOL_FILE))).toBe(false);
    } finally {
      guard.close();
    }
  });
});
