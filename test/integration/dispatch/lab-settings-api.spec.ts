import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startServer, waitFor, type ServerProcess } from '../../support/nas-server';

// The Settings page's requests on two real apps (`nas-studio serve`, each with its own data folder): one lets
// other machines help (it starts its own redis-server), the other joins it with the code it shows ("Join a
// lab"). One role at a time, each refusal says what to do, and a bad code is the user's to fix (400, not 500).

const HAS_REDIS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((p) => existsSync(p));

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe.skipIf(!HAS_REDIS)('lab settings over the API (needs redis-server; .ci/run installs it)', () => {
  const tmp = makeTempDir('nas-it-lab-settings-');
  let coordinator: ServerProcess;
  let member: ServerProcess;

  beforeAll(async () => {
    const lab = ['--bind', '127.0.0.1', '--advertise', '127.0.0.1', '--redis-port', String(await freePort())];
    [coordinator, member] = await Promise.all([
      startServer(join(tmp.dir, 'coordinator'), { viaCli: true, args: lab }),
      startServer(join(tmp.dir, 'member'), { viaCli: true }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await member?.stop();
    await coordinator?.stop();
    tmp.dispose();
  });

  it('starts standalone, coordinates, lets another app join by code, and goes back', { timeout: 120_000 }, async () => {
    expect(await coordinator.call('dispatch.status')).toEqual({ role: 'standalone', redis: null, joinCode: null, workers: [], problem: null });
    expect(await coordinator.call('workers.list')).toEqual([]);

    const on = await coordinator.call('dispatch.startCoordinator', {});
    expect(on.role).toBe('coordinator');
    expect(on.redis).toMatch(/^rediss?:\/\/127\.0\.0\.1:\d+$/);
    expect(on.redis).not.toMatch(/@/); // no credentials in what the page shows
    expect(typeof on.joinCode).toBe('string');
    // Asking again changes nothing: the same lab, the same code.
    expect((await coordinator.call('dispatch.startCoordinator', {})).redis).toBe(on.redis);

    // A bad code is the user's to fix: 400 with what is wrong and where the right one is.
    const bad = await member.raw('dispatch.join', { code: 'not a code!', name: 'm1' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/join code/i);
    expect(bad.body.hint).toMatch(/coordinator/i);
    expect((await member.call('dispatch.status')).role).toBe('standalone');
    // A name the lab could not route to is refused by the contract.
    expect((await member.raw('dispatch.join', { code: on.joinCode, name: 'gpu box' })).status).toBe(400);

    const joined = await member.call('dispatch.join', { code: on.joinCode, name: 'm1' });
    expect(joined).toMatchObject({ role: 'worker', joinCode: null, workers: [] });
    expect(joined.redis).toContain(on.redis); // and the user it joined as
    // The coordinator lists it, idle, with what it can train on.
    const listed = await waitFor(async () => (await coordinator.call('workers.list')).find((w: { name: string }) => w.name === 'm1'), 'the member in the workers list', { timeoutMs: 30_000 });
    expect(listed).toMatchObject({ state: 'idle', runId: null, problem: null });
    expect(listed.capabilities.backends).toContain('wasm');
    expect(listed.capabilities.cores).toBeGreaterThan(0);
    // Its code is spent: the next worker gets a fresh one.
    expect((await coordinator.call('dispatch.status')).joinCode).not.toBe(on.joinCode);

    // One role at a time, each refusal naming the way out.
    const twice = await member.raw('dispatch.startCoordinator', {});
    expect(twice.status).toBe(400);
    expect(twice.body.hint).toMatch(/Leave the lab/);
    const again = await coordinator.raw('dispatch.join', { code: on.joinCode, name: 'c1' });
    expect(again.status).toBe(400);
    expect(again.body.hint).toMatch(/Stop coordinating/);

    // Leaving: the member is standalone; the coordinator stops listing it once its liveness key is gone.
    expect((await member.call('dispatch.stop')).role).toBe('standalone');
    await waitFor(async () => !(await coordinator.call('workers.list')).some((w: { name: string; state: string }) => w.name === 'm1' && w.state !== 'offline'), 'the member to leave the list', { timeoutMs: 30_000 });
    expect(await coordinator.call('dispatch.stop')).toEqual({ role: 'standalone', redis: null, joinCode: null, workers: [], problem: null });
    // A run for the lab is refused while there is none, saying how to get one.
    const config = { estimation: 'nb201-table', dataset: '', space: { name: 'nb201' }, strategy: { name: 'random', samples: 5 } };
    const refused = await coordinator.raw('runs.create', { config, where: 'any' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/Let other machines help/);
  });

  it('an app that coordinates or works for a lab still shuts down at once on SIGTERM', { timeout: 120_000 }, async () => {
    const on = await coordinator.call('dispatch.startCoordinator', {});
    await member.call('dispatch.join', { code: on.joinCode, name: 'm2' });
    await waitFor(async () => (await coordinator.call('workers.list')).some((w: { name: string }) => w.name === 'm2'), 'm2 in the list', { timeoutMs: 30_000 });
    // Its BullMQ and Redis connections are closed with it: nothing keeps the process alive.
    for (const s of [member, coordinator]) {
      const t0 = Date.now();
      const stopped = await Promise.race([s.stop().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 30_000))]);
      if (!stopped) await s.crash();
      expect(stopped, `stopped within 30 s (it printed:\n${s.output().slice(-1500)})`).toBe(true);
      expect(Date.now() - t0).toBeLessThan(30_000);
    }
  });
});
