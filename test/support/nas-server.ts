import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sharedConfig from '../../src/shared/config';

// Test support: the real built headless server (out/main/server.js) as a child process on a free port with a
// temporary data folder, plus a tiny client for its HTTP API. `npm test` builds first; while developing, run
// `npx electron-vite build`.

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SERVER_JS = join(ROOT, 'out', 'main', 'server.js');
export const TRAINER_JS = join(ROOT, 'out', 'main', 'trainer.js');
export const SERVE_JS = join(ROOT, 'scripts', 'serve.js');

/**
 * The smallest budget that still trains a real NB201 DARTS search on the demo set (~5 steps per epoch).
 * Written flat (epochs, channels, … side by side, overrides likewise); where the config schema nests them
 * (`space: {…}`, `strategy: {…}`), the schema's own upgrade of a flat config gives today's shape.
 */
export function demoConfig(datasetId: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const flat = { space: 'nb201', strategy: 'darts', dataset: String(datasetId), epochs: 2, trainLimit: 300, channels: 4, cells: 1, batchSize: 32, ...overrides };
  const upgrade = (sharedConfig as unknown as { upgradeStoredConfig?: (c: unknown) => unknown }).upgradeStoredConfig;
  return (upgrade ? upgrade(flat) : flat) as Record<string, unknown>;
}

export function requireBuild(): void {
  for (const f of [SERVER_JS, TRAINER_JS, join(ROOT, 'out', 'renderer', 'index.html')]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run 'npx electron-vite build' (npm test does it first).`);
  }
}

export function makeTempDir(prefix = 'nas-it-'): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; hint?: string },
    channel: string,
  ) {
    super(`${channel} → ${status}: ${body.error ?? JSON.stringify(body)}`);
  }
}

export interface ServerProcess {
  /** The URL printed at start-up, token included (opening it sets the session cookie). */
  url: string;
  origin: string;
  token: string;
  pid: number;
  proc: ChildProcess;
  output(): string;
  call<T = any>(channel: string, args?: unknown): Promise<T>;
  /** POSTs and returns status + parsed body without throwing. */
  raw(channel: string, args?: unknown): Promise<{ status: number; body: any }>;
  /** The server's pid: `pid` itself, or the wrapper's child when started through scripts/serve.js. */
  serverPid(): number | undefined;
  /** Pids of the server's direct children (the trainer process while a run trains). */
  childPids(): number[];
  /** SIGTERM (graceful: pauses a running search) and waits for exit. */
  stop(): Promise<void>;
  /** Ctrl+C in a terminal: SIGINT to the server's whole process group; resolves with the exit code. */
  interrupt(): Promise<number | null>;
  /** SIGKILL the server (a crash), and its trainer child too (orphans would keep training); waits for `proc` to exit. */
  crash(): Promise<void>;
}

export interface StartOptions {
  timeoutMs?: number;
  /** More command-line options, e.g. ['--new-token']. */
  args?: string[];
  /** Start it the way a person does, through `npm run serve`'s wrapper (scripts/serve.js), not server.js. */
  viaServeScript?: boolean;
  /** Start it as `nas-studio serve` (bin/nas-studio.js), whose lab options (--redis-port, --bind…) server.js lacks. */
  viaCli?: boolean;
}

export async function startServer(dataDir: string, { timeoutMs = 30_000, args = [], viaServeScript = false, viaCli = false }: StartOptions = {}): Promise<ServerProcess> {
  requireBuild();
  const entry = viaCli ? [join(ROOT, 'bin', 'nas-studio.js'), 'serve'] : [viaServeScript ? SERVE_JS : SERVER_JS];
  const proc = spawn(process.execPath, [...entry, '--port', '0', '--data-dir', dataDir, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NAS_STUDIO_DATA: dataDir },
    // Its own process group, like a server started in a terminal, so interrupt() can signal the group.
    detached: true,
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not print its URL within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    timer.unref();
    const check = () => {
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? sig}) before printing its URL:\n${out}`));
    });
  });
  const u = new URL(url);
  const token = u.searchParams.get('token')!;
  const origin = u.origin;
  const raw = async (channel: string, args: unknown = {}) => {
    const res = await fetch(`${origin}/api/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-nas-token': token },
      body: JSON.stringify(args),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const childrenOf = (pid: number | undefined): number[] => {
    if (pid === undefined) return [];
    try {
      return execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' })
        .split('\n')
        .map((s) => Number(s.trim()))
        .filter((n) => n > 0);
    } catch {
      return []; // ps exits 1 when there is no child
    }
  };
  const serverPid = () => (viaServeScript ? childrenOf(proc.pid)[0] : proc.pid);
  const childPids = () => childrenOf(serverPid());
  return {
    url,
    origin,
    token,
    pid: proc.pid!,
    proc,
    output: () => out,
    raw,
    async call(channel, args = {}) {
      const r = await raw(channel, args);
      if (r.status !== 200) throw new ApiCallError(r.status, r.body ?? {}, channel);
      return r.body;
    },
    serverPid,
    childPids,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await exited;
    },
    async interrupt() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      const code = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
      process.kill(-proc.pid!, 'SIGINT');
      return code;
    },
    async crash() {
      const kids = childPids();
      const server = serverPid();
      if (proc.exitCode === null && proc.signalCode === null) {
        // Through the wrapper, the server dies and the wrapper then exits on its own.
        if (server !== undefined) process.kill(server, 'SIGKILL');
        await exited;
      }
      for (const k of kids) {
        try {
          process.kill(k, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    },
  };
}

/** Polls `fn` until it returns a truthy value (returned) or the time is up (throws with `what`). */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, { timeoutMs = 60_000, intervalMs = 50 } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
