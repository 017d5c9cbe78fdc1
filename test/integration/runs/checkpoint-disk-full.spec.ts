import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { CheckpointWriteError, loadCheckpoint, saveCheckpoint } from '../../../src/main/nas/engine/checkpoint';
import * as tf from '../../../src/main/nas/engine/tf';
import { isStorageFault } from '../../../src/main/runs/storage-fault';

// Checkpoints on a real 4 MB tmpfs: a checkpoint that does not fit is refused before writing, says how much
// space it needs, leaves no partial file, and the previous checkpoint stays loadable.

describe('checkpoint on a full disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nas-ckpt-full-'));
  let mounted = false;
  let skipReason = '';
  beforeAll(async () => {
    await initBackend('cpu');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'pipe' });
      mounted = true;
    } catch (e) {
      skipReason = `cannot mount a tmpfs here (${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()}); run as root`;
    }
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('refused with the space needed; the previous checkpoint is kept whole', async (ctx) => {
    if (!mounted) {
      console.warn(`checkpoint disk-full test skipped: ${skipReason}`);
      ctx.skip();
    }
    const w = tf.tensor(Array.from({ length: 100_000 }, (_, i) => Math.sin(i)), [100_000]); // 400 KB
    const first = join(dir, 'checkpoints', 'epoch-0001.ckpt');
    await saveCheckpoint(first, new Map([['w', w]]), { epoch: 1 });

    // Fill what is left: the next checkpoint cannot fit.
    const fd = openSync(join(dir, 'filler'), 'w');
    try {
      const chunk = Buffer.alloc(64 * 1024);
      for (;;) writeSync(fd, chunk);
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }
    const second = join(dir, 'checkpoints', 'epoch-0002.ckpt');
    const err = await saveCheckpoint(second, new Map([['w', w]]), { epoch: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointWriteError);
    expect((err as CheckpointWriteError).code).toBe('ENOSPC');
    expect(isStorageFault(err)).toBe(true); // the trainer pauses the run on it instead of failing
    expect((err as Error).message).toMatch(/^Not enough free space to write checkpoint .*epoch-0002\.ckpt: .* free, about \d+\.\d MB needed\. The previous checkpoint is kept\.$/);
    expect(readdirSync(join(dir, 'checkpoints'))).toEqual(['epoch-0001.ckpt']); // no temp file left behind
    const loaded = loadCheckpoint(first);
    expect(loaded.state).toEqual({ epoch: 1 });
    expect(Array.from(loaded.tensors.get('w')!.data.subarray(0, 3))).toEqual(Array.from((await w.data()).subarray(0, 3)));
    w.dispose();
  });
});
