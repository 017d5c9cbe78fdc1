import { Command, InvalidArgumentError } from 'commander';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_PREFIX, EVENTS_PATH, TOKEN_HEADER, TOKEN_QUERY } from '../shared/transport';
import { UserError, createApp, type NasApp } from './app';
import { defaultDataDir } from './data-dir';

// Headless mode: the same handlers as the Electron IPC, over HTTP (requests) and Server-Sent Events (live
// events), plus the built renderer. Bound to 127.0.0.1 by default; every API call needs the access token.

const here = dirname(fileURLToPath(import.meta.url));
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
const MAX_BODY = 1 << 20;

export interface ServerOptions {
  port: number;
  host: string;
  dataDir: string;
  rendererDir?: string;
  trainerScript?: string;
}

export interface RunningServer {
  url: string;
  token: string;
  app: NasApp;
  close(): Promise<void>;
}

function loadToken(dataDir: string): string {
  const file = join(dataDir, 'server-token');
  if (existsSync(file)) {
    const t = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{32,}$/.test(t)) return t;
  }
  const t = randomBytes(24).toString('hex');
  writeFileSync(file, t, { mode: 0o600 });
  return t;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(data);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new UserError('Request body too large.');
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new UserError('The request body is not valid JSON.');
  }
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const rendererDir = o.rendererDir ?? join(here, '..', 'renderer');
  const app = createApp({ dataDir: o.dataDir, mode: 'headless', trainerScript: o.trainerScript ?? join(here, 'trainer.js') });
  const token = loadToken(o.dataDir);
  const tokenBuf = Buffer.from(token);
  const authorised = (req: IncomingMessage, url: URL) => {
    const given = (req.headers[TOKEN_HEADER] as string | undefined) ?? url.searchParams.get(TOKEN_QUERY) ?? '';
    const b = Buffer.from(given);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };
  const sseClients = new Set<ServerResponse>();
  const unsubscribe = app.onPush((e) => {
    const line = `data: ${JSON.stringify(e)}\n\n`;
    for (const c of sseClients) c.write(line);
  });
  const heartbeat = setInterval(() => {
    for (const c of sseClients) c.write(': ping\n\n');
  }, 15000);
  heartbeat.unref();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === EVENTS_PATH) {
        if (!authorised(req, url)) return send(res, 401, { error: 'Missing or wrong access token. Open the URL printed by `npm run serve`.' });
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(': connected\n\n');
        sseClients.add(res);
        req.on('close', () => sseClients.delete(res));
        return;
      }
      if (url.pathname.startsWith(API_PREFIX)) {
        if (!authorised(req, url)) return send(res, 401, { error: 'Missing or wrong access token. Open the URL printed by `npm run serve`.' });
        if (req.method !== 'POST') return send(res, 405, { error: 'Use POST for API requests.' });
        const channel = url.pathname.slice(API_PREFIX.length);
        const result = await app.invoke(channel, await readJson(req));
        return send(res, 200, result);
      }
      return serveStatic(rendererDir, url.pathname, res);
    } catch (e) {
      const err = e as Error & { hint?: string };
      const status = e instanceof UserError ? 400 : 422;
      send(res, status, { error: err.message, ...(err.hint ? { hint: err.hint } : {}) });
    }
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolveListen());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return {
    url: `http://${o.host}:${port}/?${TOKEN_QUERY}=${token}`,
    token,
    app,
    async close() {
      unsubscribe();
      clearInterval(heartbeat);
      for (const c of sseClients) c.end();
      await new Promise<void>((r) => server.close(() => r()));
      await app.close();
    },
  };
}

function serveStatic(root: string, pathname: string, res: ServerResponse): void {
  const rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
  let file = resolve(root, rel || 'index.html');
  if (!file.startsWith(resolve(root) + sep) && file !== resolve(root)) return send(res, 403, { error: 'Forbidden.' });
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
  if (!existsSync(file)) return send(res, 500, { error: `The UI is not built (${root}). Run 'npm run build'.` });
  const ext = extname(file);
  res.writeHead(200, {
    'content-type': MIME[ext] ?? 'application/octet-stream',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': ext === '.html' ? 'no-store' : 'max-age=3600',
  });
  res.end(readFileSync(file));
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--port must be 0–65535; got '${value}'.`);
  return n;
}

async function main(): Promise<void> {
  const program = new Command('nas-studio-serve')
    .description('NAS Studio headless server: serves the app UI and API on this machine.')
    .option('--port <n>', 'port (0 = any free port)', port, 5174)
    .option('--host <host>', 'interface to bind (keep 127.0.0.1 unless you know why)', '127.0.0.1')
    .option('--data-dir <dir>', 'data folder (default: $NAS_STUDIO_DATA or the per-user app data folder)')
    .parse(process.argv);
  const opts = program.opts<{ port: number; host: string; dataDir?: string }>();
  const dataDir = resolve(opts.dataDir ?? process.env.NAS_STUDIO_DATA ?? defaultDataDir());
  let running: RunningServer;
  try {
    running = await startServer({ port: opts.port, host: opts.host, dataDir });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const msg = err.code === 'EADDRINUSE' ? `port ${opts.port} is in use; pass --port 0 for any free port, or another number.` : err.message;
    process.stderr.write(`nas-studio serve: ${msg}\n`);
    process.exit(1);
  }
  process.stdout.write(`NAS Studio is serving ${dataDir}\nOpen ${running.url}\n`);
  if (running.app.runs.interruptedRuns.length) {
    process.stdout.write(`Runs interrupted by an earlier stop: ${running.app.runs.interruptedRuns.join(', ')} (open them to resume).\n`);
  }
  let stopping = false;
  const shutdown = async () => {
    if (stopping) {
      process.stdout.write('Stopping at once; the run resumes from its previous checkpoint.\n');
      process.exit(1);
    }
    stopping = true;
    const active = running.app.runs.activeRunId();
    process.stdout.write(
      active === null
        ? 'Shutting down…\n'
        : `Pausing run ${active} at the end of its current step to save a checkpoint (press Ctrl+C again to stop at once)…\n`,
    );
    await running.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
