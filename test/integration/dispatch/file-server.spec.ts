import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, utimesSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabFileServer, tokensOf } from '../../../src/main/dispatch/file-server';
import { HttpWorkerFiles } from '../../../src/main/dispatch/file-transfer';
import { filesTokenFor } from '../../../src/main/dispatch/join-code';
import { ensureLabTls, fetchPinnedCa, pinnedTlsOptions } from '../../../src/main/dispatch/redis-server-tls';

// The coordinator's file server over real HTTP(S) with real files on disk, and a worker's client: datasets
// and checkpoints by sha256, per-worker tokens, and every way a transfer can go wrong refused with nothing kept.

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function rawRequest(url: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the coordinator file server over HTTP', () => {
  let root: string;
  let server: LabFileServer;
  const workers = [
    { user: 'nas-worker-1', password: 'secret-one', revoked: false },
    { user: 'nas-worker-2', password: 'secret-two', revoked: false },
  ];
  const token = filesTokenFor('secret-one');
  let dataset: string;
  let datasetBytes: Buffer;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'nas-files-'));
    dataset = join(root, 'train-images-idx3-ubyte');
    datasetBytes = randomBytes(300_000);
    writeFileSync(dataset, datasetBytes);
    server = await LabFileServer.start({ host: '127.0.0.1', port: 0, tls: null, storeDir: join(root, 'store'), authorise: tokensOf(() => workers) });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const client = (name: string, t = token) => new HttpWorkerFiles({ filesUrl: server.url, token: t, cacheDir: join(root, `cache-${name}`) });

  it('serves a published dataset by its sha256; the worker caches it under its hash and name', async () => {
    const ref = await server.publish(dataset);
    expect(ref).toEqual({ sha256: sha(datasetBytes), name: 'train-images-idx3-ubyte', size: datasetBytes.length });
    const files = client('a');
    const local = await files.fetch(ref);
    expect(local).toBe(join(root, 'cache-a', ref.sha256, 'train-images-idx3-ubyte'));
    expect(readFileSync(local).equals(datasetBytes)).toBe(true);
    // Cached: a second fetch does not ask the server (which by now refuses this token).
    workers[0]!.revoked = true;
    try {
      expect(await files.fetch(ref)).toBe(local);
      await expect(client('b').fetch(ref)).rejects.toThrow(/HTTP 401/);
    } finally {
      workers[0]!.revoked = false;
    }
  });

  it('takes a checkpoint upload by sha256 and hands it out again; a second upload of it is a no-op', async () => {
    const ckpt = join(root, 'epoch-3.ckpt');
    const bytes = randomBytes(123_456);
    writeFileSync(ckpt, bytes);
    const ref = await client('a').upload(ckpt);
    expect(ref.sha256).toBe(sha(bytes));
    const stored = server.pathOf(ref.sha256)!;
    expect(readFileSync(stored).equals(bytes)).toBe(true);
    expect(statSync(stored).mode & 0o777).toBe(0o600);
    expect(await client('c', filesTokenFor('secret-two')).upload(ckpt)).toEqual(ref);
    const back = await client('d', filesTokenFor('secret-two')).fetch(ref);
    expect(readFileSync(back).equals(bytes)).toBe(true);
  });

  it('refuses a missing or wrong token, an unknown hash and a malformed one', async () => {
    const ref = await server.publish(dataset);
    expect((await rawRequest(server.url, 'GET', `/files/${ref.sha256}`, {})).status).toBe(401);
    const wrong = await rawRequest(server.url, 'GET', `/files/${ref.sha256}`, { authorization: `Bearer ${filesTokenFor('not-a-worker')}` });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body).hint).toMatch(/join again with a new code/);
    const unknown = 'a'.repeat(64);
    const r404 = await rawRequest(server.url, 'GET', `/files/${unknown}`, { authorization: `Bearer ${token}` });
    expect(r404.status).toBe(404);
    expect(JSON.parse(r404.body).error).toContain(unknown);
    await expect(client('e').fetch({ sha256: unknown, name: 'x', size: 1 })).rejects.toThrow(/HTTP 404.*No file with sha256/);
    expect((await rawRequest(server.url, 'GET', '/files/..%2F..%2Fetc%2Fpasswd', { authorization: `Bearer ${token}` })).status).toBe(400);
    expect((await rawRequest(server.url, 'GET', '/etc/passwd', { authorization: `Bearer ${token}` })).status).toBe(404);
  });

  it('refuses an upload whose content does not hash to its name, and keeps nothing', async () => {
    const body = randomBytes(5000);
    const claimed = sha(Buffer.from('something else'));
    const r = await rawRequest(server.url, 'PUT', `/files/${claimed}`, { authorization: `Bearer ${token}`, 'content-length': String(body.length) }, body);
    expect(r.status).toBe(422);
    expect(JSON.parse(r.body).error).toContain(sha(body));
    expect(server.pathOf(claimed)).toBeNull();
    expect(readdirSync(join(root, 'store')).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('keeps nothing of an upload cut short (the connection drops before Content-Length bytes arrived)', async () => {
    const whole = randomBytes(200_000);
    const hash = sha(whole);
    const url = new URL(server.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`PUT /files/${hash} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${whole.length}\r\n\r\n`);
        socket.write(whole.subarray(0, 50_000), () => setTimeout(() => socket.destroy(), 100));
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(server.pathOf(hash)).toBeNull();
    expect(readdirSync(join(root, 'store')).filter((f) => f.endsWith('.part'))).toEqual([]);
    const head = await rawRequest(server.url, 'HEAD', `/files/${hash}`, { authorization: `Bearer ${token}` });
    expect(head.status).toBe(404);
  });

  it('stops serving a published file once it changes on disk, and a damaged download is not kept', async () => {
    const file = join(root, 'labels');
    writeFileSync(file, randomBytes(1000));
    const ref = await server.publish(file);
    writeFileSync(file, randomBytes(1000));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(server.pathOf(ref.sha256)).toBeNull();
    await expect(client('f').fetch(ref)).rejects.toThrow(/HTTP 404/);
    // The server hands out other bytes than the reference says (a size lie): the worker refuses them.
    const good = await server.publish(dataset);
    const lied = { ...good, size: good.size + 1 };
    await expect(client('g').fetch(lied)).rejects.toThrow(/arrived damaged/);
    expect(existsSync(join(root, 'cache-g', good.sha256, good.name))).toBe(false);
  });

  it('remembers what it published across a restart (queued jobs still fetch their dataset)', async () => {
    const ref = await server.publish(dataset);
    const again = await LabFileServer.start({ host: '127.0.0.1', port: 0, tls: null, storeDir: join(root, 'store'), authorise: tokensOf(() => workers) });
    try {
      expect(again.pathOf(ref.sha256)).toBe(dataset);
    } finally {
      await again.close();
    }
  });
});

describe('the file server over HTTPS with the pinned lab CA', () => {
  let root: string;
  let server: LabFileServer;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'nas-files-tls-'));
    const tls = ensureLabTls(join(root, 'tls'), ['127.0.0.1']);
    server = await LabFileServer.start({ host: '127.0.0.1', port: 0, tls, storeDir: join(root, 'store'), authorise: tokensOf(() => [{ user: 'w', password: 'pw' }]) });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('round-trips a file for a worker that knows only the CA fingerprint, and refuses an unpinned client', async () => {
    expect(server.url).toMatch(/^https:\/\//);
    const tls = ensureLabTls(join(root, 'tls'), []);
    const port = Number(new URL(server.url).port);
    const caPem = await fetchPinnedCa('127.0.0.1', port, tls.caFingerprint);
    const file = join(root, 'ckpt');
    writeFileSync(file, randomBytes(10_000));
    const worker = new HttpWorkerFiles({ filesUrl: server.url, token: filesTokenFor('pw'), cacheDir: join(root, 'cache'), tls: pinnedTlsOptions(caPem) });
    const ref = await worker.upload(file);
    rmSync(join(root, 'cache'), { recursive: true, force: true });
    expect(readFileSync(await worker.fetch(ref)).equals(readFileSync(file))).toBe(true);
    // Without the pinned CA, the self-signed chain is not trusted.
    const unpinned = new HttpWorkerFiles({ filesUrl: server.url, token: filesTokenFor('pw'), cacheDir: join(root, 'cache2') });
    await expect(unpinned.fetch(ref)).rejects.toThrow(/Cannot reach the coordinator's file server.*(SELF_SIGNED|UNABLE_TO_VERIFY|CERT)/);
  });
});
