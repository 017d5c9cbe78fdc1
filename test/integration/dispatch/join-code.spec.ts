import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JoinCode } from '../../../src/shared/dispatch';
import { LabFileServer, tokensOf } from '../../../src/main/dispatch/file-server';
import { HttpWorkerFiles } from '../../../src/main/dispatch/file-transfer';
import { encodeJoinCode, joinCodeFor, joinLab, parseJoinCode } from '../../../src/main/dispatch/join-code';
import { ManagedRedis } from '../../../src/main/dispatch/redis-server';
import { connectRedis } from '../../../src/main/dispatch/redis-server-connection';

// The join code: what a worker pastes to join a lab. Encoding and every way a pasted code can be wrong, then
// the whole way from a coordinator's code to a worker's Redis connection and file transfer (real Redis, TLS).

const sample: JoinCode = { host: '10.0.0.5', port: 6380, user: 'nas-worker-1', secret: 's3cret', caFingerprint: 'AB:CD', filesUrl: 'https://10.0.0.5:6381' };

describe('join codes', () => {
  it('round-trips as one base64url line, and a code pasted with spaces and line breaks still reads', () => {
    const code = encodeJoinCode(sample);
    expect(code).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(parseJoinCode(code)).toEqual(sample);
    const wrapped = `  ${code.slice(0, 20)}\n${code.slice(20, 50)}\r\n ${code.slice(50)}\n`;
    expect(parseJoinCode(wrapped)).toEqual(sample);
  });

  it('says what is wrong with a bad code and where to get a good one', () => {
    const code = encodeJoinCode(sample);
    expect(() => parseJoinCode('')).toThrow(/empty/);
    expect(() => parseJoinCode('')).toThrow(expect.objectContaining({ hint: expect.stringMatching(/Let other machines help/) }));
    expect(() => parseJoinCode('redis://10.0.0.5:6380')).toThrow(/not a NAS Studio join code: it holds ':'/);
    expect(() => parseJoinCode(code.slice(0, code.length / 2))).toThrow(/cut short/);
    const noUser = Buffer.from(JSON.stringify({ ...sample, user: undefined })).toString('base64url');
    expect(() => parseJoinCode(noUser)).toThrow(/lacks or garbles user/);
    const badPort = Buffer.from(JSON.stringify({ ...sample, port: 'x' })).toString('base64url');
    expect(() => parseJoinCode(badPort)).toThrow(/port/);
    const noFiles = Buffer.from(JSON.stringify({ ...sample, filesUrl: 'ftp://x' })).toString('base64url');
    expect(() => parseJoinCode(noFiles)).toThrow(/file server/);
  });
});

describe('joining a lab with a code', () => {
  let dataDir: string;
  let redis: ManagedRedis;
  let files: LabFileServer;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'nas-join-'));
    redis = await ManagedRedis.start({ dataDir, bind: '127.0.0.1', port: 0 });
    files = await LabFileServer.start({ host: '127.0.0.1', port: 0, tls: redis.tls, storeDir: join(dataDir, 'files'), authorise: tokensOf(() => redis.workers()) });
  });
  afterAll(async () => {
    await files?.close();
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives a worker its Redis user over the pinned TLS and its file-server token, from the code alone', async () => {
    const worker = await redis.addWorker();
    const code = joinCodeFor(redis, worker, files.url);
    const parsed = parseJoinCode(code);
    expect(parsed).toMatchObject({ host: '127.0.0.1', port: redis.port, user: worker.user, caFingerprint: redis.tls!.caFingerprint, filesUrl: files.url });
    const lab = await joinLab(parsed);
    const client = await connectRedis(lab.redis);
    expect(await client.call('ACL', 'WHOAMI')).toBe(worker.user);
    client.disconnect();
    const published = await files.publish(join(dataDir, 'redis', 'redis.conf'));
    const transfer = new HttpWorkerFiles({ filesUrl: lab.files.url, token: lab.files.token, cacheDir: join(dataDir, 'cache'), tls: lab.files.tls });
    expect(await transfer.fetch(published)).toContain(published.sha256);
    // A revoked worker's code stops opening both doors.
    await redis.revokeWorker(worker.user);
    await expect(connectRedis(lab.redis)).rejects.toThrow(/refused the user name or password/);
    await expect(new HttpWorkerFiles({ filesUrl: lab.files.url, token: lab.files.token, cacheDir: join(dataDir, 'cache-2'), tls: lab.files.tls }).fetch(published)).rejects.toThrow(/HTTP 401/);
  });

  it('refuses to join when the coordinator presents another CA than the code pins', async () => {
    const worker = await redis.addWorker();
    const code = parseJoinCode(joinCodeFor(redis, worker, files.url));
    await expect(joinLab({ ...code, caFingerprint: '00'.repeat(32) })).rejects.toThrow(/does not present the certificate authority named in the join code/);
  });
});
