import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, makeTempDir, startServer, waitFor, type ServerProcess } from '../support/nas-server';
import { launchBrowser, openPage, tid, waitStatus } from './browser';

// A lab in Chromium: a real redis-server started here on loopback, the headless server turned into the
// coordinator from its Settings page, two real worker processes (`nas-studio worker`), the Workers page listing
// both, and a run sent to "any worker" from the New-run form that completes and says where it ran.
// Screenshots: test-artifacts/e2e/dispatch-*.png.

const REDIS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
const CLI = join(ROOT, 'bin', 'nas-studio.js');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface Proc {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function spawnLogged(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const proc = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      // The whole group: a worker's trainer child goes with it.
      process.kill(-proc.pid!, 'SIGTERM');
      const t = setTimeout(() => proc.exitCode === null && process.kill(-proc.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Stops the server; one that takes longer than `ms` fails the run with what it printed (then it is killed). */
async function stopWithin(s: ServerProcess | undefined, ms: number): Promise<void> {
  if (!s) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
  const result = await Promise.race([s.stop().then(() => 'stopped' as const), late]);
  clearTimeout(timer);
  if (result === 'late') {
    await s.crash();
    throw new Error(`The server did not stop within ${ms / 1000} s of SIGTERM; it printed:\n${s.output().slice(-3000)}`);
  }
}

describe.skipIf(!REDIS)('e2e: a lab of two workers (needs redis-server; .ci/run installs it)', () => {
  const tmp = makeTempDir('nas-e2e-dispatch-');
  let s: ServerProcess;
  let browser: Browser;
  let redis: Proc;
  let redisUrl: string;
  const workers: Proc[] = [];

  beforeAll(async () => {
    const port = await freePort();
    redisUrl = `redis://127.0.0.1:${port}`;
    // A throw-away Redis: loopback only, no snapshot on disk, nothing evicted (BullMQ's requirement).
    redis = spawnLogged(REDIS!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--dir', tmp.dir]);
    await waitFor(() => /Ready to accept connections/.test(redis.output()), 'redis-server to start', { timeoutMs: 15_000 });
    [s, browser] = await Promise.all([startServer(join(tmp.dir, 'coordinator')), launchBrowser()]);
    await s.call('datasets.importBuiltin', { which: 'demo' });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    for (const w of workers) await w.stop().catch(() => undefined);
    await stopWithin(s, 60_000);
    await redis?.stop();
    tmp.dispose();
  });

  test('Settings turns the app into a coordinator; the Workers page lists two workers; a run sent to any worker completes and says where it ran', { timeout: 300_000 }, async () => {
    const { page, shot, pageErrors } = await openPage(browser);
    await page.goto(`${s.url.split('#')[0]}#/settings`);

    // Standalone: the New-run form says why runs train here (checked below once more as a coordinator).
    await page.locator(tid('settings-coordinator')).waitFor();
    await expect(page.locator(tid('settings-role')).textContent()).resolves.toBe('off');
    await page.check(tid('settings-own-redis'));
    await page.fill(tid('settings-redis-url'), redisUrl);
    await page.click(tid('settings-coordinator-start'));
    await expect.poll(() => page.locator(tid('settings-role')).textContent(), { timeout: 20_000 }).toBe('on');
    await expect(page.locator(tid('settings-redis')).textContent()).resolves.toContain(`127.0.0.1:`);
    await shot('dispatch-01-settings-coordinator');
    const status = await s.call('dispatch.status');
    expect(status.role).toBe('coordinator');

    // Two real worker processes, each with its own data folder (their cache), joining by the scriptable URL.
    for (const name of ['w1', 'w2']) {
      workers.push(spawnLogged(process.execPath, [CLI, 'worker', '--redis', redisUrl, '--name', name, '--data-dir', join(tmp.dir, name)]));
    }

    // The Workers page lists both, idle, with what they can train on.
    await page.click(tid('nav-workers'));
    for (const name of ['w1', 'w2']) {
      await page.locator(`${tid(`worker-row-${name}`)}[data-state="idle"]`).waitFor({ timeout: 60_000 }).catch((e: Error) => {
        throw new Error(`${e.message}\nworker ${name} said:\n${workers.map((w) => w.output()).join('\n---\n')}`);
      });
    }
    await expect(page.locator(tid('workers-count')).textContent()).resolves.toBe('2');
    const listed = await s.call('workers.list');
    expect(listed.map((w: { name: string }) => w.name).sort()).toEqual(['w1', 'w2']);
    await expect(page.locator(`${tid('worker-row-w1')} td`).nth(2).textContent()).resolves.toContain('wasm');
    await shot('dispatch-02-workers');

    // New run: a tiny search sent to any worker.
    await page.click(tid('nav-new'));
    await page.locator(tid('new-run-form')).waitFor();
    await expect.poll(() => page.locator(tid('new-run-dataset')).inputValue(), { timeout: 15_000 }).not.toBe('');
    await page.fill(tid('new-run-name'), 'e2e on any worker');
    for (const [field, value] of [['epochs', '1'], ['train-limit', '200'], ['channels', '4'], ['cells', '1'], ['batch-size', '32']]) {
      await page.fill(tid(`new-run-${field}`), value);
    }
    await page.locator(`${tid('new-run-where')} option[value="w2"]`).waitFor({ state: 'attached' });
    await page.selectOption(tid('new-run-where'), 'any');
    await page.locator(tid('new-run-where-panel')).scrollIntoViewIfNeeded();
    await shot('dispatch-03-new-run-where');
    await page.click(tid('new-run-start'));
    await page.waitForURL(/#\/runs\/\d+$/);
    const id = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);

    // The run view: it completes, and says which worker trained it, as the API does.
    await waitStatus(page, 'completed', 180_000);
    const detail = await s.call('runs.get', { id });
    expect(detail.where).toBe('any');
    expect(['w1', 'w2']).toContain(detail.ranOn);
    await expect(page.locator(tid('run-ran-on')).getAttribute('data-worker'), 'the run view names the worker').resolves.toBe(detail.ranOn);
    await expect(page.locator(tid('run-ran-on')).textContent()).resolves.toContain(detail.ranOn);
    const attempt = page.locator(tid('run-attempt-1'));
    // The attempts arrive with the detail the view refetches once the status changed.
    await expect.poll(() => attempt.getAttribute('data-outcome'), { timeout: 10_000 }).toBe('completed');
    await expect(attempt.locator('td').nth(1).textContent()).resolves.toBe(detail.ranOn);
    expect(detail.attempts).toHaveLength(1);
    await shot('dispatch-04-run-completed');

    // The runs list's Where column names the worker too.
    await page.click(tid('nav-runs'));
    const cell = page.locator(tid(`runs-where-${id}`));
    await expect.poll(() => cell.textContent(), { timeout: 10_000 }).toBe(detail.ranOn);
    await cell.scrollIntoViewIfNeeded();
    await shot('dispatch-05-runs-list');

    expect(pageErrors).toEqual([]);
  });
});

describe.skipIf(!REDIS)('e2e: the app starts its own Redis and hands out join codes', () => {
  const tmp = makeTempDir('nas-e2e-dispatch-code-');
  let s: ServerProcess;
  let browser: Browser;
  const workers: Proc[] = [];

  beforeAll(async () => {
    // `nas-studio serve` on loopback, its Redis on a free port (6380 may be taken on a shared machine).
    const redisPort = await freePort();
    [s, browser] = await Promise.all([
      startServer(join(tmp.dir, 'coordinator'), { viaCli: true, args: ['--bind', '127.0.0.1', '--advertise', '127.0.0.1', '--redis-port', String(redisPort)] }),
      launchBrowser(),
    ]);
    await s.call('datasets.importBuiltin', { which: 'demo' });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    for (const w of workers) await w.stop().catch(() => undefined);
    await stopWithin(s, 60_000);
    tmp.dispose();
  });

  test('Let other machines help shows a join code to copy; a worker joins with it and trains a run sent to it by name', { timeout: 300_000 }, async () => {
    const { page, shot, pageErrors } = await openPage(browser);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.origin });
    await page.goto(`${s.url.split('#')[0]}#/new`);
    // Standalone: the form says why runs train here and where to change it.
    await expect(page.locator(tid('new-run-where-unavailable')).textContent()).resolves.toContain('Let other machines help');
    await expect(page.locator(tid('new-run-where')).count()).resolves.toBe(0);

    await page.click(tid('nav-settings'));
    await page.click(tid('settings-coordinator-start'));
    await expect.poll(() => page.locator(tid('settings-role')).textContent(), { timeout: 30_000 }).toBe('on');
    const code = (await page.locator(tid('join-code')).textContent())!.trim();
    const status = await s.call('dispatch.status');
    expect(code).toBe(status.joinCode);
    // The code names this machine's Redis and a worker user of its own (base64url JSON, see shared/dispatch.ts).
    const decoded = JSON.parse(Buffer.from(code, 'base64url').toString('utf8'));
    expect(decoded).toMatchObject({ host: '127.0.0.1', port: expect.any(Number) });
    expect(decoded.secret.length).toBeGreaterThan(10);
    await page.click(tid('join-code-copy'));
    await expect.poll(() => page.locator(tid('join-code-copy')).textContent()).toBe('Copied');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(code);
    await shot('dispatch-06-settings-join-code');

    // A worker joins with the copied code.
    workers.push(spawnLogged(process.execPath, [CLI, 'worker', '--join', code, '--name', 'w3', '--data-dir', join(tmp.dir, 'w3')]));
    await page.click(tid('nav-workers'));
    await page.locator(`${tid('worker-row-w3')}[data-state="idle"]`).waitFor({ timeout: 60_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\nworker w3 said:\n${workers[0]!.output()}`);
    });
    // That code is spent: the page offers a fresh one (its own user and password) for the next worker.
    await expect.poll(async () => (await page.locator(tid('join-code')).textContent())?.trim(), { timeout: 10_000 }).not.toBe(code);
    await shot('dispatch-07-workers-join-code');

    // A run sent to w3 by name.
    await page.click(tid('nav-new'));
    await expect.poll(() => page.locator(tid('new-run-dataset')).inputValue(), { timeout: 15_000 }).not.toBe('');
    await page.fill(tid('new-run-name'), 'e2e on w3');
    for (const [field, value] of [['epochs', '2'], ['train-limit', '200'], ['channels', '4'], ['cells', '1'], ['batch-size', '32']]) {
      await page.fill(tid(`new-run-${field}`), value);
    }
    await page.locator(`${tid('new-run-where')} option[value="w3"]`).waitFor({ state: 'attached' });
    await page.selectOption(tid('new-run-where'), 'w3');
    await page.click(tid('new-run-start'));
    await page.waitForURL(/#\/runs\/\d+$/);
    const id = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    // While it trains, the Workers page shows w3 busy with it (a link to the run).
    await page.click(tid('nav-workers'));
    const row = page.locator(`${tid('worker-row-w3')}[data-state="busy"]`);
    await row.waitFor({ timeout: 60_000 });
    await expect(row.locator(`${tid('worker-run')} a`).getAttribute('href')).resolves.toBe(`#/runs/${id}`);
    await shot('dispatch-08-worker-busy');
    await row.locator(`${tid('worker-run')} a`).click();
    await waitStatus(page, 'completed', 180_000);
    const detail = await s.call('runs.get', { id });
    expect(detail).toMatchObject({ where: 'w3', ranOn: 'w3' });
    await expect(page.locator(tid('run-ran-on')).getAttribute('data-worker')).resolves.toBe('w3');
    await expect.poll(() => page.locator(tid('run-attempt-1')).getAttribute('data-outcome'), { timeout: 10_000 }).toBe('completed');
    await shot('dispatch-09-run-on-w3');

    // A clone is sent where the original was.
    const base = s.url.split('#')[0];
    await page.goto(`${base}#/new?clone=${id}`);
    await expect.poll(() => page.locator(tid('new-run-where')).inputValue(), { timeout: 15_000 }).toBe('w3');

    // Revoke on the Workers page: a second click confirms; w3 is listed revoked and can no longer reach Redis.
    await page.click(tid('nav-workers'));
    const revoke = page.locator(`${tid('worker-row-w3')} ${tid('worker-revoke')}`);
    await revoke.click();
    await expect(revoke.textContent()).resolves.toContain('Click again to revoke');
    expect((await s.call('workers.list')).find((w: { name: string }) => w.name === 'w3')?.state).not.toBe('revoked');
    await revoke.click();
    await page.locator(`${tid('worker-row-w3')}[data-state="revoked"]`).waitFor({ timeout: 15_000 });
    await shot('dispatch-10-worker-revoked');

    // Stop coordinating: the page and the form go back to this machine only.
    await page.click(tid('nav-settings'));
    await page.click(tid('settings-coordinator-stop'));
    await expect.poll(() => page.locator(tid('settings-role')).textContent(), { timeout: 20_000 }).toBe('off');
    expect((await s.call('dispatch.status')).role).toBe('standalone');
    // Now a clone of the w3 run trains here, and the form says why.
    await page.goto(`${base}#/new?clone=${id}`);
    await page.locator(tid('new-run-where-unavailable')).waitFor();
    await expect.poll(() => page.locator(tid('new-run-name')).inputValue()).toBe('e2e on w3 (copy)');
    await page.click(tid('new-run-start'));
    await page.waitForURL(new RegExp(`#/runs/(?!${id}$)\\d+$`));
    const cloneId = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    expect((await s.call('runs.get', { id: cloneId })).where).toBe('local');
    await s.call('runs.cancel', { id: cloneId });
    expect(pageErrors).toEqual([]);
  });
});
