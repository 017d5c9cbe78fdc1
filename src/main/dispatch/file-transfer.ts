import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ConnectionOptions } from 'node:tls';
import { sha256File, type WorkerFiles } from './files';
import type { FileRef } from './protocol';

// A worker's side of the coordinator's file server: fetch a file by sha256 into a cache (<cache>/<sha256>/
// <name>, kept across jobs, moved into place only once its hash is checked) and upload a checkpoint by its
// sha256 (the server checks it again). TLS trusts only the lab CA pinned from the join code.

export class FileTransferError extends Error {
  constructor(
    message: string,
    readonly hint: string | null = null,
  ) {
    super(message);
    this.name = 'FileTransferError';
  }
}

export interface HttpWorkerFilesOptions {
  /** The coordinator's file server, e.g. https://10.0.0.5:6381 (from the join code). */
  filesUrl: string;
  /** This worker's bearer token (filesTokenFor its secret). */
  token: string;
  /** Where fetched files are cached. */
  cacheDir: string;
  /** TLS options for https (pinnedTlsOptions of the fetched CA). */
  tls?: ConnectionOptions;
}

export class HttpWorkerFiles implements WorkerFiles {
  private readonly base: URL;

  constructor(private readonly o: HttpWorkerFilesOptions) {
    this.base = new URL(o.filesUrl);
    mkdirSync(o.cacheDir, { recursive: true, mode: 0o700 });
  }

  async fetch(ref: FileRef): Promise<string> {
    const dir = join(this.o.cacheDir, ref.sha256);
    const target = join(dir, safeName(ref.name));
    if (existsSync(target) && statSync(target).size === ref.size) return target;
    mkdirSync(dir, { recursive: true });
    const part = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
    const res = await this.send('GET', ref.sha256, null);
    if (res.statusCode !== 200) throw await this.refusal(res, `fetch ${ref.name}`);
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(res, tap, createWriteStream(part));
    } catch (e) {
      rmSync(part, { force: true });
      throw new FileTransferError(`Fetching ${ref.name} from the coordinator broke off: ${(e as Error).message}.`, 'The run is retried; check the network between the machines if this repeats.');
    }
    const got = hash.digest('hex');
    if (got !== ref.sha256 || size !== ref.size) {
      rmSync(part, { force: true });
      throw new FileTransferError(`${ref.name} arrived damaged (${size} bytes, sha256 ${got.slice(0, 12)}…; expected ${ref.size} bytes, ${ref.sha256.slice(0, 12)}…).`, 'It was not kept; the run is retried.');
    }
    renameSync(part, target);
    return target;
  }

  async upload(path: string): Promise<FileRef> {
    const sha256 = await sha256File(path);
    const size = statSync(path).size;
    const ref = { sha256, name: basename(path), size };
    const head = await this.send('HEAD', sha256, null);
    head.resume();
    if (head.statusCode === 200) return ref; // the coordinator has it already (a retried upload)
    if (head.statusCode !== 404) throw await this.refusal(head, `upload ${ref.name}`);
    const res = await this.send('PUT', sha256, path, size);
    if (res.statusCode !== 200 && res.statusCode !== 201) throw await this.refusal(res, `upload ${ref.name}`);
    res.resume();
    return ref;
  }

  private send(method: string, sha256: string, bodyFile: string | null, size = 0): Promise<IncomingMessage> {
    const url = new URL(`files/${sha256}`, this.base.href.endsWith('/') ? this.base : `${this.base.href}/`);
    const headers: Record<string, string> = { authorization: `Bearer ${this.o.token}` };
    if (bodyFile) Object.assign(headers, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
    const options: RequestOptions = { method, headers, ...(url.protocol === 'https:' ? this.o.tls : {}) };
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, resolve);
      req.on('error', (e: NodeJS.ErrnoException) => reject(new FileTransferError(`Cannot reach the coordinator's file server at ${this.base.origin}: ${e.code ?? e.message}.`, 'Check that the coordinator runs and that this machine can reach it (firewall, VPN).')));
      if (bodyFile) {
        pipeline(createReadStream(bodyFile), req).catch((e: Error) => req.destroy(e));
      } else req.end();
    });
  }

  private async refusal(res: IncomingMessage, what: string): Promise<FileTransferError> {
    let body = '';
    for await (const c of res) body += (c as Buffer).toString('utf8');
    let parsed: { error?: string; hint?: string } = {};
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      /* not the file server's JSON */
    }
    // A HEAD answer has no body: its status says it all.
    const fallback = res.statusCode === 401 ? ['the worker token was not accepted', 'This worker was removed or its join code replaced: join again with a new code.'] : [body.slice(0, 200) || 'no reason given', null];
    return new FileTransferError(`The coordinator refused to ${what} (HTTP ${res.statusCode}): ${parsed.error ?? fallback[0]}`, parsed.hint ?? fallback[1]);
  }
}

/** A name from the protocol never leaves the cache folder. */
function safeName(name: string): string {
  const base = basename(name.replace(/\\/g, '/'));
  return base && base !== '.' && base !== '..' ? base : 'file';
}
