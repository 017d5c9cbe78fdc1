import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Nb201Table } from '../../../src/main/nas/estimation/nb201-table';
import { demoConfig, makeTempDir } from '../../support/nas-server';
import { metricRows, openDb, openHarness, range, type Harness } from './harness';

// A full demo search through the real app and trainer: everything it reports lands in the SQLite file, and
// survives a restart of the app. Then cancel.

describe('run lifecycle', () => {
  const tmp = makeTempDir('nas-runs-life-');
  let h: Harness;
  let datasetId: number;
  beforeAll(async () => {
    h = openHarness(tmp.dir);
    datasetId = (await h.call<{ id: number }>('datasets.importBuiltin', { which: 'demo' })).id;
  });
  afterAll(async () => {
    await h?.close();
    tmp.dispose();
  });

  test('a run completes and its metrics, alpha snapshots, logs, checkpoints and NB201 result are in the database; a restart keeps them', async () => {
    const { id } = await h.call<{ id: number }>('runs.create', { config: demoConfig(datasetId, { name: 'life' }) });
    const done = await h.waitStatus(id, 'completed');
    const progress = h.runEvents(id).find((e) => e.type === 'progress') as { stepsPerEpoch: number };
    const spe = progress.stepsPerEpoch;
    expect(spe).toBeGreaterThan(0);

    expect(done.progress).toBe(1);
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt);
    expect(done.environment.backend).toBeTruthy();
    expect(done.resumable).toBe(false);
    expect(done.lastCheckpointEpoch).toBe(2);

    const db = openDb(tmp.dir);
    try {
      // Metrics: one point per step for the per-step series, one per epoch for the epoch series; all that the
      // trainer streamed is on disk.
      const trainLoss = metricRows(db, id, 'train_loss');
      expect(trainLoss.map((r) => r.step)).toEqual(range(1, 2 * spe));
      expect(metricRows(db, id, 'val_acc').map((r) => [r.step, r.epoch])).toEqual([[spe, 0], [2 * spe, 1]]);
      const streamed = h.metricsEvents(id).flatMap((e) => Object.entries(e.values).map(([name, value]) => `${name}@${e.step}=${value}`));
      const stored = metricRows(db, id).map((r) => `${r.name}@${r.step}=${r.value}`);
      expect(new Set(stored)).toEqual(new Set(streamed));
      const best = Math.max(...metricRows(db, id, 'val_acc').map((r) => r.value));
      expect(done.bestAccuracy).toBeCloseTo(best, 12);

      // Alpha per epoch: softmax rows over the NB201 ops.
      const alphas = db.prepare("SELECT epoch, payload FROM snapshots WHERE run_id = ? AND kind = 'alpha' ORDER BY epoch").all(id) as { epoch: number; payload: string }[];
      expect(alphas.map((a) => a.epoch)).toEqual([0, 1]);
      for (const a of alphas) {
        const p = JSON.parse(a.payload) as { ops: string[]; cells: Record<string, number[][]> };
        expect(p.ops).toHaveLength(5);
        const rows = Object.values(p.cells)[0]!;
        expect(rows).toHaveLength(6);
        for (const row of rows) expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      }
      expect(db.prepare("SELECT count(*) FROM snapshots WHERE run_id = ? AND kind = 'genotype'").pluck().get(id)).toBe(1);

      // Checkpoints: one per epoch, files that exist with the recorded size.
      const ckpts = db.prepare("SELECT epoch, path, size, checksum FROM artifacts WHERE run_id = ? AND kind = 'checkpoint' ORDER BY epoch").all(id) as {
        epoch: number; path: string; size: number; checksum: string;
      }[];
      expect(ckpts.map((c) => c.epoch)).toEqual([1, 2]);
      for (const c of ckpts) {
        expect(existsSync(c.path)).toBe(true);
        expect(statSync(c.path).size).toBe(c.size);
        expect(c.checksum).toMatch(/^[0-9a-f]{16,}$/);
      }

      // Logs, in order.
      const logs = (db.prepare('SELECT message FROM logs WHERE run_id = ? ORDER BY id').pluck().all(id) as string[]).join('\n');
      expect(logs).toMatch(/^Started\./);
      expect(logs).toMatch(/epoch 1\/2: .*val acc/);
      expect(logs).toMatch(/epoch 2\/2: .*val acc/);
      expect(logs).toMatch(/Search finished after \d+ s of training; best val accuracy \d+\.\d\d%\.$/);

      // Result: the arch string is a real cell of the NAS-Bench-201 table, with its scores.
      const row = db.prepare('SELECT status, arch, nb201, genotype FROM runs WHERE id = ?').get(id) as { status: string; arch: string; nb201: string; genotype: string };
      expect(row.status).toBe('completed');
      expect(row.arch).toMatch(/^\|[a-z_0-9]+~0\|\+\|[a-z_0-9]+~0\|[a-z_0-9]+~1\|\+\|[a-z_0-9]+~0\|[a-z_0-9]+~1\|[a-z_0-9]+~2\|$/);
      const entry = Nb201Table.loadDefault().lookup(row.arch);
      expect(entry).toBeTruthy();
      const nb201 = JSON.parse(row.nb201) as { arch: string; index: number; rank: number };
      expect(nb201.arch).toBe(row.arch);
      expect(nb201.rank).toBeGreaterThanOrEqual(1);
      expect(nb201.rank).toBeLessThanOrEqual(15625);
      expect(JSON.parse(row.genotype)).toHaveLength(6);
    } finally {
      db.close();
    }

    // Restart: close the app, open a new one on the same folder; the history is intact and nothing is
    // reported interrupted.
    const before = {
      list: await h.call('runs.list', {}),
      metrics: await h.call('runs.metrics', { id }),
      alphas: await h.call('runs.snapshots', { id, kind: 'alpha' }),
      logs: await h.call('runs.logs', { id }),
      detail: await h.call('runs.get', { id }),
    };
    await h.close();
    h = openHarness(tmp.dir);
    expect((await h.call<any>('app.info', {})).interruptedRuns).toEqual([]);
    expect(await h.call('runs.list', {})).toEqual(before.list);
    expect(await h.call('runs.metrics', { id })).toEqual(before.metrics);
    expect(await h.call('runs.snapshots', { id, kind: 'alpha' })).toEqual(before.alphas);
    expect(await h.call('runs.logs', { id })).toEqual(before.logs);
    expect(await h.call('runs.get', { id })).toEqual(before.detail);
    expect((await h.call<any[]>('datasets.list', {})).map((d) => d.id)).toEqual([datasetId]);
  });

  test('cancelling a running run ends it as cancelled, and the next queued run starts', async () => {
    const { id } = await h.call<{ id: number }>('runs.create', { config: demoConfig(datasetId, { name: 'to cancel' }) });
    const { id: next } = await h.call<{ id: number }>('runs.create', { config: demoConfig(datasetId, { name: 'queued behind', epochs: 1 }) });
    expect((await h.call<any>('runs.get', { id: next })).status).toBe('queued');
    await h.waitEvent(id, (e) => e.type === 'metrics', 'a first training step');
    const pid = h.app.runs.activePid();
    expect(pid).toBeGreaterThan(0);
    await h.call('runs.cancel', { id });
    const r = await h.waitStatus(id, 'cancelled');
    expect(r.error).toBeNull();
    expect(r.finishedAt).not.toBeNull();
    expect(() => process.kill(pid!, 0)).toThrow(); // the trainer process is gone
    const logs = await h.call<{ message: string }[]>('runs.logs', { id });
    expect(logs.at(-1)!.message).toBe('Run cancelled.');
    // Cancelling again is refused with a reason.
    await expect(h.call('runs.cancel', { id })).rejects.toThrow(/cancelled/);
    // The queue moves on.
    await h.waitStatus(next, 'running');
    await h.call('runs.cancel', { id: next });
    await h.waitStatus(next, 'cancelled');
  });
});
