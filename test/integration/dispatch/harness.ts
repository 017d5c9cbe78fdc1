import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { build } from 'vite';
import { parseSearchConfig, type SearchConfig } from '../../../src/shared/config';
import { DispatchCoordinator } from '../../../src/main/dispatch/coordinator';
import { FolderFiles } from '../../../src/main/dispatch/files';
import { resolveDataReference } from '../../../src/main/nas/job';
import { Store } from '../../../src/main/store/store';
import { tfjsEsmAliases } from '../../../scripts/tfjs-esm-aliases';
import { ROOT, TRAINER_JS, demoConfig, waitFor } from '../../support/nas-server';

// The dispatch tests' lab: a real redis-server on a loopback port (append-only file on), real worker
// processes (worker-child.ts: the DispatchWorker forking the built trainer), and a coordinator in the test
// process or in its own process (coordinator-child.ts) where the test kills it.

export const APP_VERSION = '0.1.0';
/** Short locks and liveness so lost workers are noticed within seconds. */
export const TEST_TIMINGS = { lockMs: 3000, stalledCheckMs: 1000, heartbeatMs: 500, controlPollMs: 200 };

export function redisServerPath(): string | null {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(p)) return p;
  const which = spawnSync('which', ['redis-server'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface RedisProcess {
  port: number;
  url: string;
  /** Stops it (SIGTERM: the append-only file is flushed) and starts it again on the same port and file. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(dir: string): Promise<RedisProcess> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not installed: apt-get install redis-server');
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  let proc: ChildProcess;
  const launch = async () => {
    proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /Ready to accept connections/.test(out), `redis-server on port ${port}`, { timeoutMs: 10_000 });
  };
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  await launch();
  return { port, url: `redis://127.0.0.1:${port}`, stop, restart: async () => (await stop(), await launch()) };
}

let bundled: Promise<{ worker: string; coordinator: string }> | null = null;

/** The child scripts as plain-node bundles (tfjs inlined from its ESM entries, as in the app). */
export function childScripts(): Promise<{ worker: string; coordinator: string }> {
  bundled ??= (async () => {
    const outDir = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'dispatch-children-'));
    await build({
      configFile: false,
      logLevel: 'error',
      root: ROOT,
      resolve: { alias: tfjsEsmAliases },
      ssr: { noExternal: [/@tensorflow\//] },
      build: {
        ssr: true,
        outDir,
        minify: false,
        rollupOptions: {
          input: { worker: join(__dirname, 'worker-child.ts'), coordinator: join(__dirname, 'coordinator-child.ts') },
          output: {
            entryFileNames: '[name].mjs',
            banner: "import { createRequire as __createRequire } from 'node:module'; const __filename = import.meta.filename; const __dirname = import.meta.dirname; const require = __createRequire(import.meta.url);",
          },
        },
      },
    });
    return { worker: join(outDir, 'worker.mjs'), coordinator: join(outDir, 'coordinator.mjs') };
  })();
  return bundled;
}

export interface ChildHandle {
  proc: ChildProcess;
  output(): string;
  /** SIGKILL to its whole process group (the trainer it forked has its own group and exits on disconnect). */
  killGroup(): void;
  stop(): Promise<void>;
}

function spawnChild(script: string, env: Record<string, string>, ready: string): Promise<ChildHandle> {
  mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
  const proc = spawn(process.execPath, [script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const handle: ChildHandle = {
    proc,
    output: () => out,
    killGroup: () => {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => handle.killGroup(), 5000);
      await exited;
      clearTimeout(t);
    },
  };
  return waitFor(() => {
    if (proc.exitCode !== null) throw new Error(`child exited (${proc.exitCode}):\n${out}`);
    return out.includes(ready) ? handle : null;
  }, `${ready} (${script})`, { timeoutMs: 30_000 }).catch((e) => {
    handle.killGroup();
    throw e;
  });
}

export interface Lab {
  dir: string;
  redis: RedisProcess;
  filesDir: string;
  /** Starts a worker process; `redisUrl` overrides the lab's (a proxy in front of it). */
  startWorker(name: string, redisUrl?: string): Promise<ChildHandle>;
  startCoordinatorProcess(dbPath: string): Promise<ChildHandle>;
  coordinator(store: Store): DispatchCoordinator;
  close(): Promise<void>;
}

export async function openLab(dir: string): Promise<Lab> {
  const scripts = await childScripts();
  const redis = await startRedis(join(dir, 'redis'));
  const filesDir = join(dir, 'files');
  const children: ChildHandle[] = [];
  const coordinators: DispatchCoordinator[] = [];
  return {
    dir,
    redis,
    filesDir,
    async startWorker(name, redisUrl = redis.url) {
      const workDir = join(dir, 'workers', name);
      const env = { DISPATCH_WORKER: JSON.stringify({ redisUrl, name, filesDir, workDir, trainerScript: TRAINER_JS, appVersion: APP_VERSION, timings: TEST_TIMINGS }) };
      const child = await spawnChild(scripts.worker, env, 'WORKER READY');
      children.push(child);
      return child;
    },
    async startCoordinatorProcess(dbPath) {
      const env = { DISPATCH_COORDINATOR: JSON.stringify({ redisUrl: redis.url, dbPath, filesDir, appVersion: APP_VERSION, dataset: 'demo' }) };
      const child = await spawnChild(scripts.coordinator, env, 'COORDINATOR READY');
      children.push(child);
      return child;
    },
    coordinator(store) {
      const c = new DispatchCoordinator({ store, redis: { url: redis.url }, files: new FolderFiles(filesDir), appVersion: APP_VERSION, resolveDataset: () => ({ ref: resolveDataReference('demo') }), pollMs: 50, lostCheckMs: 300 });
      coordinators.push(c);
      return c;
    },
    async close() {
      await Promise.all(coordinators.map((c) => c.close().catch(() => undefined)));
      for (const c of children) c.killGroup();
      await redis.stop();
    },
  };
}

/** A tiny real NB201 DARTS search on the demo set (C=4, one cell), checkpointed every epoch. */
export function tinyConfig(overrides: Record<string, unknown> = {}): SearchConfig {
  return parseSearchConfig(demoConfig(0, { trainLimit: 100, epochs: 3, batchSize: 25, ...overrides }));
}

/** Creates a run to train on `where` (queued, not yet dispatched). */
export function createRun(store: Store, where: string, config: SearchConfig = tinyConfig()): number {
  const id = store.runs.create(config, { id: null, name: 'demo' }, { status: 'queued' });
  store.dispatch.setWhere(id, where);
  return id;
}

export async function waitRun(store: Store, id: number, status: string, timeoutMs = 120_000) {
  return waitFor(
    () => {
      const r = store.runs.summary(id);
      if (r && r.status === 'failed' && status !== 'failed') throw new Error(`run ${id} failed: ${r.error}`);
      return r?.status === status ? r : null;
    },
    `run ${id} to be ${status}`,
    { timeoutMs, intervalMs: 100 },
  );
}

export function openStore(dir: string): { store: Store; dbPath: string } {
  mkdirSync(dir, { recursive: true });
  const dbPath = join(dir, 'nas-studio.db');
  return { store: Store.open(dbPath), dbPath };
}
