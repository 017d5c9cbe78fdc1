import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoConfig } from '../../support/nas-server';
import { metricRows, openDb, openHarness, type Harness } from './harness';

// A full disk during a run, on a real 20 MB tmpfs holding the data folder: the app keeps serving, the run is
// paused (not failed) with the reason, everything the trainer reported reaches SQLite once space is freed,
// and the run resumes to completion. Needs permission to mount (root); skipped with the reason otherwise.

/** Writes zeros into `path` until the disk refuses: the disk is then full. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 12, 1 << 9]) {
      const chunk = Buffer.alloc(size);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
}

describe('disk full during a run', () => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'nas-diskfull-'));
  let mounted = false;
  let skipReason = '';
  let h: Harness | undefined;
  const dataDir = join(mountPoint, 'data');

  beforeAll(() => {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', mountPoint], { stdio: 'pipe' });
      mounted = true;
      mkdirSync(dataDir);
    } catch (e) {
      skipReason = `cannot mount a tmpfs here (${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()}); run as root to test a full disk`;
    }
  });
  afterAll(async () => {
    await h?.close();
    if (mounted) execFileSync('umount', ['-l', mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  test('the run pauses with the reason, loses no metric, and resumes after space is freed', async (ctx) => {
    if (!mounted) {
      console.warn(`disk-full test skipped: ${skipReason}`);
      ctx.skip();
    }
    h = openHarness(dataDir);
    const datasetId = (await h.call<{ id: number }>('datasets.importBuiltin', { which: 'demo' })).id;
    const { id } = await h.call<{ id: number }>('runs.create', { config: demoConfig(datasetId, { trainLimit: 400, epochs: 3 }) });
    const ckpt = (await h.waitEvent(id, (e) => e.type === 'checkpoint', 'the first checkpoint')) as { epoch: number };
    await h.waitEvent(id, (e) => e.type === 'metrics' && e.epoch >= ckpt.epoch, 'a step after the checkpoint');

    const filler = join(mountPoint, 'filler.bin');
    fillDisk(filler);
    const paused = await h.waitStatus(id, 'paused');
    expect(paused.error).toMatch(/full|free space/i);
    expect(paused.error).toMatch(/resume/i);
    expect(paused.resumable).toBe(true);
    // The app kept serving, and told the windows about the disk.
    expect((await h.call<{ dataDir: string }>('app.info')).dataDir).toBe(dataDir);
    expect(h.events.some((e) => e.type === 'storage.status' && e.status.level !== 'ok')).toBe(true);
    // A window opened now learns it at load, not only from the next push.
    expect((await h.call<{ storage: { level: string } }>('app.info')).storage.level).not.toBe('ok');
    const seenBeforeFree = h.metricsEvents(id).length;

    rmSync(filler);
    await h.call('runs.resume', { id });
    const done = await h.waitStatus(id, 'completed', 180_000);
    expect(done.error).toBeNull();
    expect(done.progress).toBe(1);

    // No recorded metric lost: every point the trainer streamed is in SQLite with its last streamed value
    // (steps redone after the resume overwrite the earlier point of the same step).
    const streamed = new Map<string, number>();
    for (const e of h.metricsEvents(id)) for (const [name, value] of Object.entries(e.values)) streamed.set(`${name}@${e.step}`, value);
    expect(seenBeforeFree).toBeGreaterThan(0);
    const db = openDb(dataDir);
    try {
      const stored = new Map(metricRows(db, id).map((r) => [`${r.name}@${r.step}`, r.value]));
      for (const [key, value] of streamed) expect(stored.get(key), key).toBe(value);
      const logs = db.prepare('SELECT message FROM logs WHERE run_id = ? ORDER BY id').pluck().all(id) as string[];
      expect(logs.some((m) => /full|free space/i.test(m))).toBe(true);
      expect(logs.filter((m) => m.startsWith('Search finished after'))).toHaveLength(1);
    } finally {
      db.close();
    }
    // Nothing left waiting in the run's spool file.
    expect(existsSync(join(dataDir, 'runs', String(id), 'pending-events.jsonl'))).toBe(false);
  });
});
