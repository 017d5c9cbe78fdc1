import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { CoordinatorFiles } from './files';
import { ContentStore, SHA256_HEX } from './file-server-store';
import { filesTokenFor } from './join-code';
import type { FileRef } from './protocol';

// The coordinator's file server (issue 13 item 3): GET /files/<sha256> hands out a published dataset or an
// uploaded checkpoint, PUT /files/<sha256> takes a checkpoint whose content must hash to the name. Every
// request carries a worker's bearer token; HTTPS with the lab's certificate when Redis has TLS. Unknown or
// malformed hashes, wrong tokens, and uploads that are cut short or do not match are refused, and a refused
// upload leaves nothing behind.

export interface FileServerOptions {
  /** Interface and port to listen on (port 0 = any free port). */
  host: string;
  port: number;
  /** The address workers use in URLs (join codes); default: host. */
  advertiseHost?: string;
  /** HTTPS with the lab's certificate chain; null = plain HTTP (a build without TLS, or tests). */
  tls: { chainFile: string; keyFile: string } | null;
  /** Where uploads are kept (and the list of published files). */
  storeDir: string;
  /** The worker a bearer token belongs to, or null; asked per request so a revoked worker is refused at once. */
  authorise(token: string): string | null;
  /** Largest upload accepted (default 16 GiB). */
  maxUploadBytes?: number;
}

/** authorise() for the tokens derived from each worker's secret (filesTokenFor), compared in constant time. */
export function tokensOf(workers: () => Array<{ user: string; password: string; revoked?: boolean }>): (token: string) => string | null {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return (token) => {
    const given = digest(token);
    let found: string | null = null;
    for (const w of workers()) if (!w.revoked && timingSafeEqual(given, digest(filesTokenFor(w.password)))) found = w.user;
    return found;
  };
}

function send(res: ServerResponse, status: number, body: { error?: string; hint?: string; sha256?: string; size?: number }): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export class LabFileServer implements CoordinatorFiles {
  private constructor(
    private readonly server: Server,
    readonly store: ContentStore,
    /** Base URL for join codes, e.g. https://10.0.0.5:6381 */
    readonly url: string,
  ) {}

  static async start(o: FileServerOptions): Promise<LabFileServer> {
    const store = new ContentStore(o.storeDir);
    const max = o.maxUploadBytes ?? 16 * 2 ** 30;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      handle(req, res, store, o.authorise, max).catch((e: unknown) => {
        if (!res.headersSent) send(res, 500, { error: `The file server failed: ${(e as Error).message}` });
        else res.destroy();
      });
    };
    const server = o.tls ? createHttpsServer({ cert: readFileSync(o.tls.chainFile), key: readFileSync(o.tls.keyFile) }, handler) : createHttpServer(handler);
    server.requestTimeout = 0; // large checkpoints on a slow lab link
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => resolve());
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : o.port;
    const host = o.advertiseHost ?? o.host;
    return new LabFileServer(server, store, `${o.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`);
  }

  publish(path: string): Promise<FileRef> {
    return this.store.publish(path);
  }

  pathOf(sha256: string): string | null {
    return this.store.pathOf(sha256);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, store: ContentStore, authorise: (t: string) => string | null, max: number): Promise<void> {
  const m = /^\/files\/([^/?]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
  if (!m) return send(res, 404, { error: 'Not found: files are at /files/<sha256>.' });
  const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
  if (!token || !authorise(token)) {
    req.resume();
    return send(res, 401, { error: 'Missing or wrong file-server token.', hint: 'This worker was removed or its join code replaced: join again with a new code from the coordinator.' });
  }
  const sha256 = m[1]!;
  if (!SHA256_HEX.test(sha256)) {
    req.resume();
    return send(res, 400, { error: `'${sha256.slice(0, 80)}' is not a sha256 (64 lowercase hex digits).` });
  }
  if (req.method === 'GET' || req.method === 'HEAD') return download(req, res, store, sha256);
  if (req.method === 'PUT') return upload(req, res, store, sha256, max);
  req.resume();
  res.setHeader('allow', 'GET, HEAD, PUT');
  return send(res, 405, { error: `${req.method} is not supported; use GET or PUT.` });
}

async function download(req: IncomingMessage, res: ServerResponse, store: ContentStore, sha256: string): Promise<void> {
  const path = store.pathOf(sha256);
  if (!path) return send(res, 404, { error: `No file with sha256 ${sha256} is published here.`, hint: 'Its run may have been deleted or its dataset changed on the coordinator; start the run again.' });
  const size = statSync(path).size;
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size), 'x-content-sha256': sha256, 'cache-control': 'no-store' });
  if (req.method === 'HEAD') return void res.end();
  await pipeline(createReadStream(path), res);
}

async function upload(req: IncomingMessage, res: ServerResponse, store: ContentStore, sha256: string, max: number): Promise<void> {
  const declared = Number(req.headers['content-length']);
  if (!req.headers['content-length'] || !Number.isSafeInteger(declared) || declared < 0) {
    req.resume();
    return send(res, 411, { error: 'An upload needs its Content-Length, so a cut-short upload can be told from a whole one.' });
  }
  if (declared > max) {
    req.resume();
    return send(res, 413, { error: `The upload (${declared} bytes) is larger than the ${max} bytes this coordinator takes.` });
  }
  if (store.pathOf(sha256)) {
    // Already here (a retried upload, or the same checkpoint twice): the content is known, nothing to write.
    req.resume();
    return send(res, 200, { sha256, size: statSync(store.pathOf(sha256)!).size });
  }
  const part = store.partFile(sha256);
  const hash = createHash('sha256');
  let received = 0;
  req.on('data', (c: Buffer) => {
    received += c.length;
    hash.update(c);
  });
  try {
    await pipeline(req, createWriteStream(part, { mode: 0o600 }));
  } catch {
    // The client went away mid-upload: nothing is kept (and nobody is left to answer).
    rmSync(part, { force: true });
    return void res.destroy();
  }
  if (received !== declared) {
    rmSync(part, { force: true });
    return send(res, 400, { error: `The upload was cut short: ${received} of ${declared} bytes arrived.`, hint: 'Upload it again.' });
  }
  const got = hash.digest('hex');
  if (got !== sha256) {
    rmSync(part, { force: true });
    return send(res, 422, { error: `The uploaded content hashes to ${got}, not to ${sha256}: it was refused.`, hint: 'The file changed while it was sent, or was damaged on the way; upload it again.' });
  }
  store.commit(part, sha256);
  return send(res, 201, { sha256, size: received });
}
