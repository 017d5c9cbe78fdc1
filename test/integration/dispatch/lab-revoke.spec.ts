/**
 * Revoking a worker on a real lab: the coordinator's own redis-server (ACL users, TLS) and a real
 * `nas-studio worker` process joined by code. Revoke switches its Redis user off: the Workers list says
 * revoked, the worker says why it is refused, its credentials no longer open Redis, and the next machine joins
 * with the fresh code. Through the app's service: a name not in the lab is a 404 with what to do.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/main/app-errors';
import { startLabCoordinator, type LabCoordinatorSession } from '../../../src/main/dispatch/lab-coordinator';
import { connectRedis } from '../../../src/main/dispatch/redis-server-connection';
import { resolveDataReference } from '../../../src/main/nas/job';
import { DispatchService } from '../../../src/main/services/dispatch-service';
import type { Store } from '../../../src/main/store/store';
import { ROOT, makeTempDir, requireBuild, waitFor } from '../../support/nas-server';
import { APP_VERSION, openStore, redisServerPath } from './harness';

const CLI = join(ROOT, 'bin', 'nas-studio.js');

function worker(name: string, code: string, dataDir: string) {
  const proc = spawn(process.execPath, [CLI, 'worker', '--name', name, '--data-dir', dataDir], { cwd: ROOT, env: { ...process.env, NAS_STUDIO_JOIN_CODE: code }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out, kill: () => proc.exitCode === null && process.kill(-proc.pid!, 'SIGKILL') };
}

describe.skipIf(redisServerPath() === null)('revoking a worker', () => {
  const tmp = makeTempDir('nas-lab-revoke-');
  let store: Store;
  let lab: LabCoordinatorSession;
  let service: DispatchService;
  const workers: Array<ReturnType<typeof worker>> = [];

  beforeAll(async () => {
    requireBuild();
    ({ store } = openStore(join(tmp.dir, 'coordinator')));
    lab = await startLabCoordinator({
      dataDir: join(tmp.dir, 'coordinator'),
      context: { store, resolveDataset: () => ({ ref: resolveDataReference('demo') }), benchmarkTable: () => null },
      appVersion: APP_VERSION,
      bind: '127.0.0.1',
      redisPort: 0,
    });
    service = new DispatchService({ startCoordinator: async () => lab, joinLab: async () => Promise.reject(new Error('not here')) });
    await service.startCoordinator({});
  }, 60_000);
  afterAll(async () => {
    workers.forEach((w) => w.kill());
    await service?.close();
    store?.close();
    tmp.dispose();
  });

  it('its user is switched off: listed revoked, told why, its credentials refused; the next machine joins', { timeout: 180_000 }, async () => {
    const code = lab.joinCode()!;
    const a = worker('w-a', code, join(tmp.dir, 'w-a'));
    workers.push(a);
    await waitFor(async () => ((await service.workers()).find((w) => w.name === 'w-a')?.state === 'idle' ? true : null), `w-a idle:\n${a.output()}`, { timeoutMs: 90_000 });
    const user = (await service.workers()).find((w) => w.name === 'w-a')!.user!;
    expect(user).toMatch(/^nas-worker-\d+$/);

    const status = await service.revokeWorker('w-a');
    expect(status.workers.find((w) => w.name === 'w-a')?.state).toBe('revoked');
    await waitFor(() => /Redis refuses this worker's credentials: the lab's coordinator revoked it.*join again with a new join code/.test(a.output()) || null, `w-a to say it is revoked:\n${a.output()}`, { timeoutMs: 30_000 });
    // The worker does not come back as idle: its beats cannot reach Redis any more.
    await new Promise((r) => setTimeout(r, 6000));
    expect((await service.workers()).find((w) => w.name === 'w-a')?.state).toBe('revoked');

    const creds = lab.managed!.workers().find((w) => w.user === user)!;
    expect(creds.revoked).toBe(true);
    await expect(connectRedis(lab.managed!.workerConnection(creds, '127.0.0.1'))).rejects.toThrow(/user|password/i);

    // The code shown now is another user's: the next machine joins with it.
    const next = lab.joinCode()!;
    expect(next).not.toBe(code);
    const b = worker('w-b', next, join(tmp.dir, 'w-b'));
    workers.push(b);
    await waitFor(async () => ((await service.workers()).find((w) => w.name === 'w-b')?.state === 'idle' ? true : null), `w-b idle:\n${b.output()}`, { timeoutMs: 90_000 });
  });

  it('a name not in the lab is refused with what to do', async () => {
    const err = await service.revokeWorker('nobody').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).message).toBe('There is no worker named nobody in this lab.');
  });
});
