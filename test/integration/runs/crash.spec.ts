import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { alive, demoConfig, makeTempDir, startServer, waitFor } from '../../support/nas-server';
import { metricRows, openDb, openHarness, range, type Harness } from './harness';

// Crashes: the trainer killed with SIGKILL between batches, and the whole app killed while a run trains.

describe('trainer killed mid-run', () => {
  const tmp = makeTempDir('nas-runs-kill-');
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

  test('kill -9 after a checkpoint: failed with the reason, no metric lost, resume continues from the checkpoint', async () => {
    const { id } = await h.call<{ id: number }>('runs.create', { config: demoConfig(datasetId) });
    const ckpt = (await h.waitEvent(id, (e) => e.type === 'checkpoint', 'the end-of-epoch checkpoint')) as { epoch: number };
    expect(ckpt.epoch).toBe(1);
    // The checkpoint's step: the last step of epoch 0 (the epoch-level metrics are stamped with it).
    const ckptStep = Math.max(...h.metricsEvents(id).filter((e) => e.epoch < ckpt.epoch).map((e) => e.step));
    await h.waitEvent(id, (e) => e.type === 'metrics' && e.step > ckptStep, 'a step after the checkpoint');

    const pid = h.app.runs.activePid()!;
    const seen = h.metricsEvents(id); // everything received before the kill
    process.kill(pid, 'SIGKILL');
    const failed = await h.waitStatus(id, 'failed');
    expect(alive(pid)).toBe(false);
    expect(failed.error).toMatch(/killed \(SIGKILL\)/);
    expect(failed.error).toMatch(/Resume continues from the last checkpoint/);
    expect(failed.resumable).toBe(true);
    expect(failed.lastCheckpointEpoch).toBe(1);
    const logs = (await h.call<{ level: string; message: string }[]>('runs.logs', { id })).at(-1)!;
    expect(logs.level).toBe('error');
    expect(logs.message).toBe(failed.error);

    const db = openDb(tmp.dir);
    try {
      // No metric lost: every point received before the kill is on disk, with its value.
      const stored = new Map(metricRows(db, id).map((r) => [`${r.name}@${r.step}`, r.value]));
      let points = 0;
      for (const e of seen) {
        for (const [name, value] of Object.entries(e.values)) {
          expect(stored.get(`${name}@${e.step}`), `${name} at step ${e.step}`).toBe(value);
          points++;
        }
      }
      expect(points).toBeGreaterThan(3 * (ckptStep + 1));

      const mark = h.events.length;
      await h.call('runs.resume', { id });
      const done = await h.waitStatus(id, 'completed');
      const after = h.metricsEvents(id, mark);
      expect(after[0]!.step).toBe(ckptStep + 1); // from the checkpoint, not from where it was killed
      expect(after[0]!.epoch).toBe(1);
      expect(done.error).toBeNull();
      expect(done.progress).toBe(1);
      // Steps redone after the resume replaced the earlier points: each step once, no gap.
      expect(metricRows(db, id, 'train_loss').map((r) => r.step)).toEqual(range(1, 2 * ckptStep));
      expect(metricRows(db, id, 'val_acc').map((r) => r.step)).toEqual([ckptStep, 2 * ckptStep]);
      expect(db.prepare("SELECT epoch FROM snapshots WHERE run_id = ? AND kind = 'alpha' ORDER BY id").pluck().all(id)).toEqual([0, 1]);
      expect(db.prepare('SELECT arch FROM runs WHERE id = ?').pluck().get(id)).toMatch(/^\|.+\|$/);
    } finally {
      db.close();
    }
  });
});

describe('app killed while a run trains', () => {
  const tmp = makeTempDir('nas-runs-appcrash-');
  afterAll(() => tmp.dispose());

  test('the run is reported interrupted, marked failed, and resumes to completion', async () => {
    let s = await startServer(tmp.dir);
    try {
      const ds = await s.call<{ id: number }>('datasets.importBuiltin', { which: 'demo' });
      const { id } = await s.call<{ id: number }>('runs.create', { config: demoConfig(ds.id) });
      await waitFor(async () => (await s.call('runs.get', { id })).lastCheckpointEpoch === 1, 'the first checkpoint', { timeoutMs: 90_000 });
      const trainer = s.childPids();
      expect(trainer).toHaveLength(1);
      await s.crash(); // SIGKILL: no shutdown code runs
      await waitFor(() => !alive(trainer[0]!), 'the orphaned trainer to exit');

      s = await startServer(tmp.dir);
      // printed right after the URL
      await waitFor(() => s.output().includes(`Runs interrupted by an earlier stop: ${id} `), 'the interrupted-runs line', { timeoutMs: 5000 });
      const info = await s.call('app.info', {});
      expect(info.interruptedRuns).toEqual([id]);
      const r = await s.call('runs.get', { id });
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(/The app stopped while this run was running/);
      expect(r.resumable).toBe(true);
      expect(r.lastCheckpointEpoch).toBe(1);
      expect(s.childPids()).toEqual([]); // nothing restarted on its own

      await s.call('runs.resume', { id });
      const done = await waitFor(async () => {
        const d = await s.call('runs.get', { id });
        if (d.status === 'failed') throw new Error(d.error);
        return d.status === 'completed' && d;
      }, 'the resumed run to complete', { timeoutMs: 90_000 });
      expect(done.arch).toBeTruthy();
      const m = await s.call<Record<string, [number, number, number][]>>('runs.metrics', { id });
      const spe = m.val_acc![0]![0];
      expect(m.train_loss!.map((p) => p[0])).toEqual(range(1, 2 * spe));
      expect(m.val_acc!.map((p) => p[0])).toEqual([spe, 2 * spe]);
    } finally {
      await s.stop();
    }
  });
});

describe('Ctrl+C in the terminal that runs the server', () => {
  const tmp = makeTempDir('nas-runs-ctrlc-');
  afterAll(() => tmp.dispose());

  test('pauses the running search at a checkpoint mid-epoch; after a restart it resumes and completes', async () => {
    let s = await startServer(tmp.dir);
    try {
      const ds = await s.call<{ id: number }>('datasets.importBuiltin', { which: 'demo' });
      const { id } = await s.call<{ id: number }>('runs.create', { config: demoConfig(ds.id) });
      // Mid-epoch 1: a few steps done, no end-of-epoch checkpoint yet.
      const before = await waitFor(async () => {
        const m = await s.call<Record<string, [number, number, number][]>>('runs.metrics', { id });
        return (m.train_loss?.length ?? 0) >= 2 && m;
      }, 'two training steps', { timeoutMs: 90_000 });
      const trainer = s.childPids();
      expect(trainer).toHaveLength(1);

      const code = await s.interrupt(); // the terminal sends SIGINT to the server's process group
      expect(code).toBe(0);
      expect(s.output()).toMatch(new RegExp(`Pausing run ${id} at the end of its current step`));
      await waitFor(() => !alive(trainer[0]!), 'the trainer to exit');

      s = await startServer(tmp.dir);
      const paused = await s.call('runs.get', { id });
      expect(paused.status).toBe('paused');
      expect(paused.resumable).toBe(true);
      expect((await s.call('app.info', {})).interruptedRuns).toEqual([]);
      const stepsBefore = (await s.call<Record<string, [number, number, number][]>>('runs.metrics', { id })).train_loss!.length;
      expect(stepsBefore).toBeGreaterThanOrEqual((before as Record<string, unknown[]>).train_loss!.length);

      await s.call('runs.resume', { id });
      await waitFor(async () => {
        const d = await s.call('runs.get', { id });
        if (d.status === 'failed') throw new Error(d.error);
        return d.status === 'completed';
      }, 'the resumed run to complete', { timeoutMs: 90_000 });
      const m = await s.call<Record<string, [number, number, number][]>>('runs.metrics', { id });
      const spe = m.val_acc![0]![0];
      // Every step exactly once: the pause lost nothing and repeated nothing.
      expect(m.train_loss!.map((p) => p[0])).toEqual(range(1, 2 * spe));
    } finally {
      await s.stop();
    }
  });
});
