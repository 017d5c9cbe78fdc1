import { Command, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_PREFIX, EVENTS_PATH, TOKEN_QUERY } from '../shared/transport';
import { createApp, type NasApp } from './app';
import { UserError, statusOf } from './app-errors';
import { resolveDataDir } from './data-dir';
import type { LabNetworkOptions } from './dispatch/lab-coordinator';
import { createLabRoles } from './dispatch/lab-roles';
import { APP_VERSION } from './version';
import { AccessGate, loadToken, sessionCookie } from './server-access';

// Headless mode: the same handlers as the Electron IPC, over HTTP (requests) and Server-Sent Events (live
// events), plus the built renderer. Bound to 127.0.0.1 by default; every API call needs the access token
// (server-access.ts: Host and Origin checks, header token for scripts, session cookie for the browser).

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
  /** Replace the stored access token: links and cookies with the old one stop working. */
  newToken?: boolean;
  /** Where "Let other machines help" listens and what it tells workers (serve --coordinator's flags). */
  lab?: LabNetworkOptions;
}

export interface RunningServer {
  url: string;
  token: string;
  app: NasApp;
  close(): Promise<void>;
}

const NO_TOKEN = {
  error: 'Missing or wrong access token.',
  hint: 'Open the URL printed by `npm run serve` (it ends in ?token=…); scripts send the token in the x-nas-token header.',
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
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
  const trainerScript = o.trainerScript ?? join(here, 'trainer.js');
  const labRoles = createLabRoles({ dataDir: o.dataDir, appVersion: APP_VERSION, trainerScript, network: o.lab, log: (line) => process.stderr.write(`${line}\n`) });
  const app = createApp({ dataDir: o.dataDir, mode: 'headless', trainerScript, labRoles });
  const token = loadToken(o.dataDir, { rotate: o.newToken });
  const sseClients = new Set<ServerResponse>();
  const unsubscribe = app.onPush((e) => {
    const line = `data: ${JSON.stringify(e)}\n\n`;
    for (const c of sseClients) c.write(line);
  });
  const heartbeat = setInterval(() => {
    for (const c of sseClients) c.write(': ping\n\n');
  }, 15000);
  heartbeat.unref();

  let gate: AccessGate | null = null; // known once listening (port 0 = any free port)

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (!gate) return send(res, 503, { error: 'The server is starting; try again in a moment.' });
      const foreign = gate.foreignRequest(req);
      if (foreign) return send(res, 403, { error: foreign });
      if (url.pathname.startsWith(API_PREFIX)) {
        const method = url.pathname === EVENTS_PATH ? 'GET' : 'POST';
        if (req.method !== method) return send(res, 405, { error: `Use ${method} for ${url.pathname}.` }, { allow: method });
        if (!gate.authorised(req)) {
          // The URL token only opens the page; the page then holds the session cookie.
          const inUrl = url.searchParams.has(TOKEN_QUERY);
          return send(res, 401, inUrl ? { ...NO_TOKEN, error: 'The access token is not accepted in the URL of API requests.' } : NO_TOKEN);
        }
        if (url.pathname === EVENTS_PATH) return openEventStream(req, res);
        const channel = url.pathname.slice(API_PREFIX.length);
        const result = await app.invoke(channel, await readJson(req));
        return send(res, 200, result);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return send(res, 405, { error: `${req.method} is not allowed here; the app's pages are read with GET.` }, { allow: 'GET, HEAD' });
      }
      if (url.searchParams.has(TOKEN_QUERY)) return openSession(gate, url, res);
      return serveStatic(rendererDir, url.pathname, req.method === 'HEAD', res);
    } catch (e) {
      const err = e as Error & { hint?: string };
      const status = statusOf(e);
      if (status >= 500) process.stderr.write(`nas-studio serve: ${req.method} ${url.pathname} failed: ${err.stack ?? err.message}\n`);
      const hint = err.hint ?? (status >= 500 ? 'This is a fault in the server, not in your request; the server log has the details.' : undefined);
      if (!res.headersSent) send(res, status, { error: err.message || 'Internal server error.', ...(hint ? { hint } : {}) });
      else res.end();
    }
  });

  function openEventStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': connected\n\n');
    sseClients.add(res);
    req.on('close', () => sseClients.delete(res));
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolveListen());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  gate = new AccessGate(o.host, port, token);
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

/**
 * The printed URL's `?token=`: a right token becomes the session cookie and the browser is sent on to the
 * same address without it (303), so the token leaves the address bar and the history.
 */
function openSession(gate: AccessGate, url: URL, res: ServerResponse): void {
  const given = url.searchParams.get(TOKEN_QUERY);
  if (!gate.matches(given)) {
    res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    res.end(
      'This link holds a wrong or old access token.\n' +
        'Open the URL the NAS Studio server printed when it started (after `npm run serve -- --new-token`, only the new one works).\n',
    );
    return;
  }
  url.searchParams.delete(TOKEN_QUERY);
  res.writeHead(303, {
    location: `${url.pathname}${url.search}`,
    'set-cookie': sessionCookie(gate.port, given!),
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  });
  res.end();
}

function serveStatic(root: string, pathname: string, headOnly: boolean, res: ServerResponse): void {
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
    'referrer-policy': 'no-referrer',
  });
  res.end(headOnly ? undefined : readFileSync(file));
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
    .option('--new-token', 'replace the access token kept in the data folder; links and sessions with the old one stop working')
    .parse(process.argv);
  const opts = program.opts<{ port: number; host: string; dataDir?: string; newToken?: boolean }>();
  const dataDir = resolveDataDir(opts.dataDir);
  let running: RunningServer;
  try {
    running = await startServer({ port: opts.port, host: opts.host, dataDir, newToken: opts.newToken });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const msg = err.code === 'EADDRINUSE' ? `port ${opts.port} is in use; pass --port 0 for any free port, or another number.` : err.message;
    process.stderr.write(`nas-studio serve: ${msg}\n`);
    process.exit(1);
  }
  if (opts.newToken) process.stdout.write('A new access token was made: links and browser sessions with the old one no longer work.\n');
  process.stdout.write(`NAS Studio is serving ${dataDir}\nOpen ${running.url}\n`);
  if (running.app.runs.interruptedRuns.length) {
    process.stdout.write(`Runs interrupted by an earlier stop: ${running.app.runs.interruptedRuns.join(', ')} (open them to resume).\n`);
  }
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    // Tells `npm run serve` (scripts/serve.js) this signal arrived, so it does not send it a second time.
    if (process.connected) process.send?.({ nasServe: 'signal', signal }, undefined, {}, () => {}); // a gone wrapper is fine
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
  // The wrapper's IPC channel must not keep the server alive on its own.
  process.channel?.unref();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
