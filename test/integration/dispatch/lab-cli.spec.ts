/**
 * The lab as a user sets it up: a coordinator (Redis started by it, TLS with its own CA, the file server) and
 * real `nas-studio worker` processes, one joined by its join code, one by `--redis rediss://…` with its
 * credentials in the environment. A run sent to each by name completes on it: its dataset fetched from the
 * file server by sha256 over the pinned TLS, its checkpoints uploaded by sha256. Then `nas-studio serve
 * --coordinator` from the command line, and a bad join code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabCoordinator, type LabCoordinatorSession } from '../../../src/main/dispatch/lab-coordinator';
import { ManagedRedis } from '../../../src/main/dispatch/redis-server';
import { resolveDataReference } from '../../../src/main/nas/job';
import type { Store } from '../../../src/main/store/store';
import { ROOT, alive, makeTempDir, requireBuild, waitFor } from '../../support/nas-server';
import { APP_VERSION, createRun, openStore, redisServerPath, waitRun } from './harness';

const CLI = join(ROOT, 'bin', 'nas-studio.js');
const haveRedis = redisServerPath() !== null;

interface Proc {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    output: () => out,
    exited,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => {
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

describe.skipIf(!haveRedis)('a lab set up by code and by URL', () => {
  const tmp = makeTempDir('nas-lab-');
  let store: Store;
  let lab: LabCoordinatorSession;
  const procs: Proc[] = [];

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
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) await p.stop().catch(() => undefined);
    await lab?.stop();
    store?.close();
    tmp.dispose();
  });

  it('trains a run on a worker joined by code and one joined by a rediss:// URL, files moving by sha256', { timeout: 300_000 }, async () => {
    expect(lab.redis).toMatch(/^rediss:\/\/127\.0\.0\.1:\d+$/);
    expect(lab.filesUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const code = lab.joinCode()!;
    expect(code).toMatch(/^[A-Za-z0-9_-]+$/);

    // By code, given in the environment (kept out of `ps`).
    const byCode = cli(['worker', '--name', 'w-code', '--data-dir', join(tmp.dir, 'w-code')], { NAS_STUDIO_JOIN_CODE: code });
    procs.push(byCode);
    await waitFor(() => /joined the lab/.test(byCode.output()) || null, `worker by code:\n${byCode.output()}`, { timeoutMs: 90_000 });
    // The code is used: the coordinator shows a new one (another user) for the next worker.
    await lab.workers();
    expect(lab.joinCode()).not.toBe(code);

    // By URL: a second worker user's credentials in the environment, the lab CA in a file.
    const user = await lab.managed!.addWorker();
    const caFile = join(tmp.dir, 'lab-ca.pem');
    writeFileSync(caFile, lab.managed!.tls!.caPem);
    const port = lab.managed!.port;
    const byUrl = cli(['worker', '--redis', `rediss://127.0.0.1:${port}`, '--name', 'w-url', '--data-dir', join(tmp.dir, 'w-url')], {
      NAS_STUDIO_REDIS_USER: user.user,
      NAS_STUDIO_REDIS_PASSWORD: user.password,
      NAS_STUDIO_REDIS_CA: caFile,
    });
    procs.push(byUrl);
    await waitFor(() => /joined the lab/.test(byUrl.output()) || null, `worker by URL:\n${byUrl.output()}`, { timeoutMs: 90_000 });
    for (const p of [byCode, byUrl]) {
      expect(p.output()).not.toContain(user.password);
      expect(p.output()).not.toContain(code);
    }

    await waitFor(async () => ((await lab.workers()).filter((w) => w.state === 'idle').length === 2 ? true : null), 'both workers idle', { timeoutMs: 60_000 });
    // A third machine under a name already in the lab is refused (two workers would share one queue).
    const twin = cli(['worker', '--name', 'w-code', '--data-dir', join(tmp.dir, 'twin')], { NAS_STUDIO_JOIN_CODE: lab.joinCode()! });
    expect(await twin.exited).toBe(1);
    expect(twin.output()).toMatch(/A worker named w-code is already in the lab.*another name \(--name\)/);
    const runs = { 'w-code': createRun(store, 'w-code'), 'w-url': createRun(store, 'w-url') };
    for (const id of Object.values(runs)) await lab.dispatcher.submit(id);
    for (const [worker, id] of Object.entries(runs)) {
      const done = await waitRun(store, id, 'completed', 240_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${byCode.output()}\n---\n${byUrl.output()}`);
      });
      expect(done.ranOn ?? store.runs.get(id)?.ranOn).toBe(worker);
    }

    // Each worker fetched the demo set into its cache under the files' sha256 (verified as it arrived)…
    const demo = resolveDataReference('demo');
    if (demo.kind === 'spd') throw new Error('the demo set holds images');
    for (const worker of ['w-code', 'w-url']) {
      const cache = join(tmp.dir, worker, 'worker', 'cache');
      const cached = readdirSync(cache);
      expect(cached.length).toBeGreaterThanOrEqual(2);
      const images = cached.map((sha) => join(cache, sha, demo.trainImages.split('/').pop()!)).find(existsSync)!;
      expect(readFileSync(images).equals(readFileSync(demo.trainImages))).toBe(true);
    }
    // …and the coordinator holds every checkpoint the runs recorded, by its sha256.
    const uploaded = readdirSync(join(tmp.dir, 'coordinator', 'dispatch-files')).filter((f) => /^[0-9a-f]{64}$/.test(f));
    expect(uploaded.length).toBeGreaterThanOrEqual(2);
    for (const id of Object.values(runs)) {
      const ckpt = store.artifacts.latest(id);
      expect(ckpt, `run ${id} has a checkpoint`).toBeTruthy();
      expect(existsSync(ckpt!.path)).toBe(true);
    }
  });
});

describe.skipIf(!haveRedis)('nas-studio serve --coordinator and worker from the command line', () => {
  const tmp = makeTempDir('nas-lab-cli-');
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop().catch(() => undefined);
    tmp.dispose();
  });

  it('hands out the join code (to an owner-only file off a terminal), lists the worker that joins with it, and stops its Redis on shutdown', { timeout: 300_000 }, async () => {
    requireBuild();
    const coordDir = join(tmp.dir, 'coord');
    const serve = cli(['serve', '--coordinator', '--port', '0', '--bind', '127.0.0.1', '--redis-port', '0', '--data-dir', coordDir]);
    procs.push(serve);
    const printed = await waitFor(() => /Open (http:\/\/\S+\?token=(\w+))[\s\S]*Join code for the next worker written to (\S+) /.exec(serve.output()), `serve --coordinator:\n${serve.output()}`, { timeoutMs: 90_000 });
    const [, url, token, codeFile] = printed;
    expect(serve.output()).toMatch(/Coordinating the lab: Redis rediss:\/\/127\.0\.0\.1:\d+ \(started here\)/);
    // Not a terminal: the code (a password) stays out of the output and goes to an owner-only file.
    expect(codeFile).toBe(join(coordDir, 'redis', 'join-code'));
    expect(statSync(codeFile!).mode & 0o777).toBe(0o600);
    const code = readFileSync(codeFile!, 'utf8').trim();
    expect(serve.output()).not.toContain(code);

    const worker = cli(['worker', '--join', code, '--name', 'cli-w', '--data-dir', join(tmp.dir, 'cli-w')]);
    procs.push(worker);
    await waitFor(() => /joined the lab/.test(worker.output()) || null, `worker:\n${worker.output()}`, { timeoutMs: 90_000 });
    const origin = new URL(url!).origin;
    const call = async (channel: string) => (await fetch(`${origin}/api/${channel}`, { method: 'POST', headers: { 'x-nas-token': token!, 'content-type': 'application/json' }, body: '{}' })).json();
    const listed = await waitFor(async () => {
      const w = (await call('workers.list')) as Array<{ name: string; state: string }>;
      return w.some((x) => x.name === 'cli-w' && x.state === 'idle') ? w : null;
    }, 'the worker listed idle', { timeoutMs: 60_000 });
    expect(listed.map((w) => w.name)).toContain('cli-w');
    const status = (await call('dispatch.status')) as { role: string; joinCode: string };
    expect(status.role).toBe('coordinator');
    // The code is used: the file now holds the next worker's (another Redis user), and the output says so.
    await waitFor(() => readFileSync(codeFile!, 'utf8').trim() !== code || null, 'a fresh join code in the file', { timeoutMs: 15_000 });
    expect(readFileSync(codeFile!, 'utf8').trim()).toBe(status.joinCode);
    expect(serve.output()).toMatch(/A worker joined with the last code\. Join code for the next worker written to /);

    await worker.stop();
    const redisPid = Number(readFileSync(join(coordDir, 'redis', 'redis.pid'), 'utf8'));
    expect(alive(redisPid)).toBe(true);
    await serve.stop();
    expect(serve.output()).toMatch(/Shutting down/);
    await waitFor(() => !alive(redisPid) || null, 'Redis to stop with the coordinator', { timeoutMs: 10_000 });
  });

  it('tells a worker joined by URL to start the coordinator first when none uses that Redis yet', { timeout: 120_000 }, async () => {
    const redis = await ManagedRedis.start({ dataDir: join(tmp.dir, 'bare'), bind: '127.0.0.1', port: 0, tls: 'off' });
    try {
      const { username, password } = redis.coordinatorConnection();
      const w = cli(['worker', '--redis', `redis://127.0.0.1:${redis.port}`, '--name', 'early', '--data-dir', join(tmp.dir, 'early')], { NAS_STUDIO_REDIS_USER: username, NAS_STUDIO_REDIS_PASSWORD: password });
      expect(await w.exited).toBe(1);
      expect(w.output()).toMatch(/No NAS Studio coordinator uses the Redis at redis:\/\/127\.0\.0\.1:\d+ as nas-coordinator yet\. Start the coordinator first/);
      expect(w.output()).not.toContain(password);
    } finally {
      await redis.stop();
    }
  });

  it('refuses a bad join code with what to do', { timeout: 60_000 }, async () => {
    const w = cli(['worker', '--join', 'redis://somewhere:6379', '--data-dir', join(tmp.dir, 'bad')]);
    expect(await w.exited).toBe(1);
    expect(w.output()).toMatch(/not a NAS Studio join code.*Copy the whole code again/);
    const noName = cli(['worker', '--redis', 'redis://127.0.0.1:1', '--data-dir', join(tmp.dir, 'bad')]);
    expect(await noName.exited).toBe(1);
    expect(noName.output()).toMatch(/needs a name/);
  });
});
