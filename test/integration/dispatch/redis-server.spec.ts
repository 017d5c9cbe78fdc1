import { readFileSync, mkdtempSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManagedRedis } from '../../../src/main/dispatch/redis-server';
import { connectRedis, ioredisOptions, parseRedisUrl, type RedisConnection } from '../../../src/main/dispatch/redis-server-connection';
import { fetchPinnedCa, pinnedTlsOptions } from '../../../src/main/dispatch/redis-server-tls';

// The Redis "Let other machines help" starts: Debian's real redis-server on loopback, in a throw-away data
// folder. Its files, users, TLS pinning, persistence and take-over after a coordinator crash.

const mode = (p: string) => statSync(p).mode & 0o777;
const redisBinary = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
const clients: Redis[] = [];
async function connect(c: RedisConnection): Promise<Redis> {
  const client = await connectRedis(c);
  clients.push(client);
  return client;
}

describe('the Redis a coordinator starts (TLS, ACL users, append-only file)', () => {
  let dataDir: string;
  let redis: ManagedRedis;
  let oldUmask: number;

  beforeAll(async () => {
    oldUmask = process.umask(0o022); // files would be 0644 unless written owner-only on purpose
    dataDir = mkdtempSync(join(tmpdir(), 'nas-redis-'));
    redis = await ManagedRedis.start({ dataDir, bind: '127.0.0.1', port: 0 });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
  });
  afterAll(async () => {
    await redis?.stop();
    process.umask(oldUmask);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes its config, users and keys owner-only, with no password in clear in the ACL file', async () => {
    const dir = join(dataDir, 'redis');
    expect(mode(dir)).toBe(0o700);
    for (const f of ['redis.conf', 'users.acl', 'credentials.json', 'tls/server.key', 'tls/ca.key']) expect(mode(join(dir, f)), f).toBe(0o600);
    const acl = readFileSync(join(dir, 'users.acl'), 'utf8');
    expect(acl).toMatch(/^user default off/m);
    expect(acl).not.toContain(redis.coordinatorConnection().password!);
  });

  it('runs with TLS, appendonly and noeviction, and refuses the default user and plain TCP', async () => {
    expect(redis.tls).not.toBeNull();
    expect(redis.tlsProblem).toBeNull();
    expect(redis.describe()).toMatch(/^rediss:\/\/127\.0\.0\.1:\d+$/);
    const admin = await connect(redis.coordinatorConnection());
    expect(await admin.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await admin.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    const tls = pinnedTlsOptions(redis.tls!.caPem);
    await expect(connectRedis({ host: '127.0.0.1', port: redis.port, tls })).rejects.toThrow(/needs a password/);
    await expect(connectRedis({ host: '127.0.0.1', port: redis.port, username: 'default', password: 'x', tls })).rejects.toThrow(/refused the user name or password/);
    await expect(connectRedis({ ...redis.coordinatorConnection(), tls: undefined }, { connectTimeout: 3000 })).rejects.toThrow();
    // rediss:// without the lab CA: the system's CAs do not know it, and the error says where the CA is.
    await expect(connectRedis({ ...redis.coordinatorConnection(), tls: {} })).rejects.toMatchObject({ message: expect.stringMatching(/not trusted here/), hint: expect.stringMatching(/NAS_STUDIO_REDIS_CA/) });
  });

  it('gives each worker its own user: it reaches Redis through the pinned CA, and cannot administer it', async () => {
    const worker = await redis.addWorker();
    const other = await redis.addWorker();
    expect(other.user).not.toBe(worker.user);
    expect(other.password).not.toBe(worker.password);
    const caPem = await fetchPinnedCa('127.0.0.1', redis.port, redis.tls!.caFingerprint);
    expect(caPem).toBe(redis.tls!.caPem.trim() + '\n');
    const c = await connect({ host: '127.0.0.1', port: redis.port, username: worker.user, password: worker.password, tls: pinnedTlsOptions(caPem) });
    await c.xadd('nas:test:stream', '*', 'k', 'v');
    expect(await c.xlen('nas:test:stream')).toBe(1);
    await expect(c.config('GET', 'dir')).rejects.toThrow(/NOPERM/);
    await expect(c.flushall()).rejects.toThrow(/NOPERM/);
    await expect(c.call('ACL', 'LIST')).rejects.toThrow(/NOPERM/);
    // The other worker's password is not this one's.
    await expect(connectRedis({ ...redis.workerConnection(worker, '127.0.0.1'), password: other.password })).rejects.toThrow(/refused/);
  });

  it('refuses a CA whose fingerprint is not the pinned one', async () => {
    const wrong = redis.tls!.caFingerprint.replace(/^../, (h) => (h === 'AA' ? 'BB' : 'AA'));
    await expect(fetchPinnedCa('127.0.0.1', redis.port, wrong)).rejects.toThrow(/does not present the certificate authority named in the join code/);
  });

  it('lets a BullMQ worker logged in as a worker user take jobs the coordinator queued', async () => {
    const user = await redis.addWorker();
    // BullMQ leaves connections it was given open: the test closes them.
    const queueConn = new Redis(ioredisOptions(redis.coordinatorConnection()));
    const workerConn = new Redis(ioredisOptions(redis.workerConnection(user, '127.0.0.1')));
    clients.push(queueConn, workerConn);
    const queue = new Queue('acl-check', { connection: queueConn });
    const done = new Promise<unknown>((resolve) => {
      const w = new Worker('acl-check', async (job) => ({ doubled: (job.data as { n: number }).n * 2 }), { connection: workerConn });
      w.on('completed', (_job, result) => {
        resolve(result);
        void w.close();
      });
      w.on('failed', (_job, err) => resolve(err));
    });
    await queue.add('double', { n: 21 }, { jobId: 'job-1' });
    expect(await done).toEqual({ doubled: 42 });
    await queue.close();
  });

  it('switches a revoked worker off at once', async () => {
    const user = await redis.addWorker();
    const c = await connect(redis.workerConnection(user, '127.0.0.1'));
    expect(await c.ping()).toBe('PONG');
    await redis.revokeWorker(user.user);
    await expect(connectRedis(redis.workerConnection(user, '127.0.0.1'))).rejects.toThrow(/refused the user name or password/);
  });

  it('keeps its data, users and CA across a restart, and a crashed coordinator takes the running Redis over', async () => {
    const admin = await connect(redis.coordinatorConnection());
    await admin.set('nas:test:kept', 'yes');
    const user = await redis.addWorker();
    const fingerprint = redis.tls!.caFingerprint;
    const pid = redis.pid;
    // A coordinator that died without stopping Redis: the next start finds the same process and uses it.
    const adopted = await ManagedRedis.start({ dataDir, bind: '127.0.0.1', port: 0 });
    expect(adopted.pid).toBe(pid);
    expect(adopted.port).toBe(redis.port);
    await adopted.stop();
    expect(() => process.kill(pid!, 0)).toThrow();
    redis = await ManagedRedis.start({ dataDir, bind: '127.0.0.1', port: 0 });
    expect(redis.pid).not.toBe(pid);
    expect(redis.tls!.caFingerprint).toBe(fingerprint);
    const again = await connect(redis.coordinatorConnection());
    expect(await again.get('nas:test:kept')).toBe('yes');
    expect(readdirSync(join(dataDir, 'redis', 'data', 'appendonlydir')).some((f) => f.endsWith('.aof'))).toBe(true);
    const w = await connect(redis.workerConnection(user, '127.0.0.1'));
    expect(await w.ping()).toBe('PONG');
  });
});

describe('Redis without TLS, and a Redis the lab runs itself', () => {
  let dataDir: string;
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs plain TCP when TLS is turned off, and is reached by a redis:// URL with credentials from the environment', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'nas-redis-plain-'));
    const redis = await ManagedRedis.start({ dataDir, bind: '127.0.0.1', port: 0, tls: 'off' });
    try {
      expect(redis.tls).toBeNull();
      expect(redis.describe()).toMatch(/^redis:\/\//);
      const { username, password } = redis.coordinatorConnection();
      const byUrl = parseRedisUrl(`redis://127.0.0.1:${redis.port}`, { NAS_STUDIO_REDIS_USER: username, NAS_STUDIO_REDIS_PASSWORD: password });
      const c = await connectRedis(byUrl);
      expect(await c.ping()).toBe('PONG');
      c.disconnect();
      const inUrl = parseRedisUrl(`redis://${username}:${encodeURIComponent(password!)}@127.0.0.1:${redis.port}/0`, {});
      const c2 = await connectRedis(inUrl);
      expect(await c2.ping()).toBe('PONG');
      c2.disconnect();
      await expect(connectRedis(parseRedisUrl(`redis://127.0.0.1:${redis.port}`, {}))).rejects.toThrow(/needs a password/);
    } finally {
      await redis.stop();
    }
  });

  it('names the missing program and both ways out when redis-server is not installed', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'nas-redis-missing-'));
    await expect(ManagedRedis.start({ dataDir, bind: '127.0.0.1', port: 0, redisServer: '/nonexistent/redis-server' })).rejects.toMatchObject({
      message: expect.stringMatching(/not installed/),
      hint: expect.stringMatching(/apt-get install redis-server.*--redis redis:\/\/HOST:PORT/),
    });
  });

  it('says plainly when this redis-server has no TLS, keeps everything else, and refuses to start when TLS is required', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'nas-redis-notls-'));
    // A redis-server built without TLS: it rejects the tls-port directive as unknown (as such builds do).
    const noTls = join(dataDir, 'redis-server-without-tls');
    const script = [
      '#!/bin/sh',
      'case " $* " in *" --tls-port "*) echo "Bad directive or wrong number of arguments"; exit 1;; esac',
      'if grep -qs "^tls-port" "$1"; then echo "Bad directive or wrong number of arguments"; exit 1; fi',
      `exec ${redisBinary} "$@"`,
    ];
    writeFileSync(noTls, `${script.join('\n')}\n`, { mode: 0o755 });
    const redis = await ManagedRedis.start({ dataDir, bind: '127.0.0.1', port: 0, redisServer: noTls });
    try {
      expect(redis.tls).toBeNull();
      expect(redis.tlsProblem).toMatch(/built without TLS: traffic between the machines is not encrypted/);
      const c = await connectRedis(redis.coordinatorConnection());
      expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      c.disconnect();
    } finally {
      await redis.stop();
    }
    await expect(ManagedRedis.start({ dataDir: join(dataDir, 'strict'), bind: '127.0.0.1', port: 0, redisServer: noTls, tls: 'on' })).rejects.toThrow(/built without TLS/);
  });

  it('says which port is taken', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'nas-redis-taken-'));
    const first = await ManagedRedis.start({ dataDir: join(dataDir, 'a'), bind: '127.0.0.1', port: 0, tls: 'off' });
    try {
      await expect(ManagedRedis.start({ dataDir: join(dataDir, 'b'), bind: '127.0.0.1', port: first.port, tls: 'off' })).rejects.toThrow(new RegExp(`Port ${first.port} is taken`));
    } finally {
      await first.stop();
    }
  });

  it('explains a bad --redis address', () => {
    expect(() => parseRedisUrl('localhost:6379')).toThrow(/not a Redis address/);
    expect(() => parseRedisUrl('http://localhost:6379')).toThrow(/scheme/);
    expect(parseRedisUrl('rediss://h:7000', {})).toMatchObject({ host: 'h', port: 7000, tls: {} });
  });
});
