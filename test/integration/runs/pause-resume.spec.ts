import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoConfig, makeTempDir } from '../../support/nas-server';
import { metricRows, openDb, openHarness, range, type Harness } from './harness';

// Pause checkpoints the run at the current step; resume continues from that step: the steps go on where
// they stopped, with no step repeated and none skipped.

describe('pause and resume', () => {
  const tmp = makeTempDir('nas-runs-pause-');
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

  test('pause → paused with a checkpoint → resume → completes, the epochs and steps continue', async () => {
    const { id } = await h.call<{ id: number }>('runs.create', { config: demoConfig(datasetId) });
    await h.waitEvent(id, (e) => e.type === 'metrics' && e.step >= 2, 'the second training step');
    await expect(h.call('runs.resume', { id })).rejects.toThrow(/running/);
    await h.call('runs.pause', { id });
    const paused = await h.waitStatus(id, 'paused');
    expect(paused.resumable).toBe(true);
    expect(paused.error).toBeNull();
    expect(h.app.runs.activePid()).toBeUndefined();

    const ckpt = h.runEvents(id).filter((e) => e.type === 'checkpoint');
    expect(ckpt).toHaveLength(1); // the pause checkpoint, mid-epoch 1
    const before = h.metricsEvents(id);
    const lastStep = Math.max(...before.map((e) => e.step));
    const spe = (h.runEvents(id).find((e) => e.type === 'progress') as { stepsPerEpoch: number }).stepsPerEpoch;
    expect(lastStep).toBeGreaterThanOrEqual(2);
    expect(lastStep).toBeLessThan(spe); // paused inside the first epoch (else this test proves less)

    const db = openDb(tmp.dir);
    try {
      expect(metricRows(db, id, 'train_loss').map((r) => r.step)).toEqual(range(1, lastStep));
      const art = db.prepare("SELECT count(*) FROM artifacts WHERE run_id = ? AND kind = 'checkpoint'").pluck().get(id);
      expect(art).toBe(1);

      const mark = h.events.length;
      await h.call('runs.resume', { id });
      const done = await h.waitStatus(id, 'completed');
      expect(done.progress).toBe(1);

      const after = h.metricsEvents(id, mark);
      expect(after[0]!.step).toBe(lastStep + 1); // continues at the next step
      expect(after[0]!.epoch).toBe(0);
      // The whole run: every step once, epochs 0 then 1, per-epoch metrics once per epoch.
      const steps = [...before, ...after].filter((e) => 'train_loss' in e.values).map((e) => e.step);
      expect(steps).toEqual(range(1, 2 * spe));
      const trainLoss = metricRows(db, id, 'train_loss');
      expect(trainLoss.map((r) => r.step)).toEqual(range(1, 2 * spe));
      expect(trainLoss.map((r) => r.epoch)).toEqual([...Array(spe).fill(0), ...Array(spe).fill(1)]);
      expect(metricRows(db, id, 'val_acc').map((r) => r.step)).toEqual([spe, 2 * spe]);
      expect(db.prepare("SELECT epoch FROM snapshots WHERE run_id = ? AND kind = 'alpha' ORDER BY id").pluck().all(id)).toEqual([0, 1]);
      const logs = (await h.call<{ message: string }[]>('runs.logs', { id })).map((l) => l.message);
      expect(logs).toContain('Run paused.');
      expect(logs).toContain('Resuming from the last checkpoint.');
      expect(logs.some((m) => /^Resumed from the checkpoint in epoch 1\.$/.test(m))).toBe(true);
      // Training time only: the pause is not counted.
      expect(logs.at(-1)).toMatch(/^Search finished after \d+ s of training; best val accuracy \d+\.\d\d%\.$/);
    } finally {
      db.close();
    }
    // Completed runs cannot be paused or resumed.
    await expect(h.call('runs.pause', { id })).rejects.toThrow(/not running/);
    await expect(h.call('runs.resume', { id })).rejects.toThrow(/completed/);
  });
});
