import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './redis';

// How the coordinator and workers reach the lab's Redis: the Redis this app starts (redis-server.ts), a join
// code (join-code.ts), or `--redis redis://HOST:PORT` for labs that run their own (credentials in the URL or
// in NAS_STUDIO_REDIS_USER / NAS_STUDIO_REDIS_PASSWORD; rediss:// for TLS, NAS_STUDIO_REDIS_CA for a private
// CA). Secrets never appear in what `describe` prints.

export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** TLS options; absent = plain TCP. */
  tls?: ConnectionOptions;
  db?: number;
}

export class RedisConnectError extends Error {
  constructor(
    message: string,
    readonly hint: string | null,
  ) {
    super(message);
    this.name = 'RedisConnectError';
  }
}

/** Where, without credentials: 'rediss://10.0.0.5:6380 as nas-worker-2'. */
export function describeRedis(c: RedisConnection): string {
  return `${c.tls ? 'rediss' : 'redis'}://${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}${c.db ? `/${c.db}` : ''}${c.username ? ` as ${c.username}` : ''}`;
}

/** Options for ioredis (and BullMQ, which needs maxRetriesPerRequest null so a blocked worker waits). */
export function ioredisOptions(c: RedisConnection, extra: RedisOptions = {}): RedisOptions {
  return { host: c.host, port: c.port, username: c.username, password: c.password, db: c.db ?? 0, tls: c.tls, maxRetriesPerRequest: null, ...extra };
}

/** The same connection as the coordinator and worker modules take it (URL without secrets + options). */
export function redisTarget(c: RedisConnection): RedisTarget {
  return { url: describeRedis({ ...c, username: undefined }), options: { username: c.username, password: c.password, tls: c.tls, db: c.db ?? 0 } };
}

/**
 * `redis://[user[:password]@]host[:port][/db]` or `rediss://…`; credentials missing from the URL come from
 * NAS_STUDIO_REDIS_USER and NAS_STUDIO_REDIS_PASSWORD (so they stay out of shell history and `ps`).
 */
export function parseRedisUrl(text: string, env: NodeJS.ProcessEnv = process.env): RedisConnection {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new RedisConnectError(`'${text}' is not a Redis address.`, 'Write it as redis://HOST:PORT (or rediss://HOST:PORT for TLS), e.g. redis://10.0.0.5:6379.');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new RedisConnectError(`'${url.protocol}' is not a Redis address scheme.`, 'Write it as redis://HOST:PORT (or rediss://HOST:PORT for TLS).');
  }
  if (!url.hostname) throw new RedisConnectError(`The Redis address '${text}' names no host.`, 'Write it as redis://HOST:PORT.');
  const db = url.pathname.replace(/^\//, '');
  if (db && !/^\d+$/.test(db)) throw new RedisConnectError(`'/${db}' in the Redis address is not a database number.`, 'Leave it out, or write a number such as redis://HOST:PORT/1.');
  const username = decodeURIComponent(url.username) || env.NAS_STUDIO_REDIS_USER || undefined;
  const password = decodeURIComponent(url.password) || env.NAS_STUDIO_REDIS_PASSWORD || undefined;
  let tls: ConnectionOptions | undefined;
  if (url.protocol === 'rediss:') {
    const caFile = env.NAS_STUDIO_REDIS_CA;
    tls = caFile ? { ca: readCa(caFile) } : {};
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 6379, username, password, tls, db: db ? Number(db) : undefined };
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new RedisConnectError(`NAS_STUDIO_REDIS_CA names ${file}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, 'Point it at the PEM file of the CA that signed the Redis server certificate.');
  }
}

/** Turns what ioredis reports into what is wrong and what to do. */
export function explainRedisError(c: RedisConnection, e: unknown): RedisConnectError {
  const err = e as NodeJS.ErrnoException;
  const where = describeRedis(c);
  const msg = err.message ?? String(e);
  if (/WRONGPASS|invalid username-password/i.test(msg)) {
    return new RedisConnectError(`Redis at ${where} refused the user name or password.`, 'Check the credentials (in the URL, NAS_STUDIO_REDIS_USER / NAS_STUDIO_REDIS_PASSWORD), or ask the coordinator for a new join code if this worker was removed.');
  }
  if (/NOAUTH|Authentication required/i.test(msg)) {
    return new RedisConnectError(`Redis at ${where} needs a password.`, 'Put it in the URL (redis://USER:PASSWORD@HOST:PORT) or in NAS_STUDIO_REDIS_PASSWORD.');
  }
  if (/NOPERM/i.test(msg)) return new RedisConnectError(`The Redis user at ${where} lacks a permission NAS Studio needs: ${msg}`, "Give the user '~* &* +@all' (or ask the lab's Redis admin), then try again.");
  if (err.code === 'ECONNREFUSED') return new RedisConnectError(`Nothing answers at ${where}.`, 'Start Redis (or the coordinator) there, or check the host and port.');
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new RedisConnectError(`The host of ${where} is unknown here.`, 'Check the name, or use its IP address.');
  if (/wrong version number|packet length too long|ECONNRESET/i.test(msg)) {
    return new RedisConnectError(`Redis at ${where} answered in the other mode (TLS vs plain).`, c.tls ? 'Use redis:// for a Redis without TLS.' : 'Use rediss:// for a Redis that speaks TLS.');
  }
  if (/self[- ]signed|unable to (verify|get local issuer)|certificate/i.test(`${msg} ${err.code ?? ''}`)) {
    return new RedisConnectError(
      `The TLS certificate of Redis at ${where} is not trusted here (${msg}).`,
      "Set NAS_STUDIO_REDIS_CA to the PEM file of the CA that signed it (a NAS Studio coordinator keeps its own in <data folder>/redis/tls/ca.crt), or join with the coordinator's join code, which pins it.",
    );
  }
  return new RedisConnectError(`Cannot use Redis at ${where}: ${msg}`, null);
}

/** Connects once (no retries) and checks the credentials with PING; the caller closes the client. */
export async function connectRedis(c: RedisConnection, extra: RedisOptions = {}): Promise<Redis> {
  const client = new Redis(ioredisOptions(c, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 10_000, ...extra }));
  // ioredis reports why (NOAUTH, WRONGPASS, ECONNREFUSED…) as an 'error' event, then fails the call with
  // 'Connection is closed': the event's reason is the one worth telling.
  let reason: unknown = null;
  client.on('error', (e) => (reason = e));
  try {
    await client.connect();
    await client.ping();
    client.removeAllListeners('error');
    client.on('error', () => {}); // the owner adds its own listener if it cares
    // Checked once; from now on a dropped connection (a Redis restart, a network blip) is retried.
    client.options.retryStrategy = (times) => Math.min(times * 200, 2_000);
    client.options.maxRetriesPerRequest = extra.maxRetriesPerRequest === undefined ? 20 : extra.maxRetriesPerRequest;
    return client;
  } catch (e) {
    client.disconnect();
    throw explainRedisError(c, reason ?? e);
  }
}

/**
 * BullMQ loses jobs silently when Redis evicts keys: a Redis the lab runs itself is checked for
 * maxmemory-policy noeviction. Returns a warning in words, or null (also when CONFIG is not permitted).
 */
export async function evictionWarning(client: Redis, c: RedisConnection): Promise<string | null> {
  try {
    const [, policy] = (await client.config('GET', 'maxmemory-policy')) as string[];
    if (policy && policy !== 'noeviction') return `Redis at ${describeRedis(c)} has maxmemory-policy ${policy}: it may drop queued runs when memory runs short. Set 'maxmemory-policy noeviction' in its redis.conf.`;
  } catch {
    /* CONFIG not allowed for this user: the lab's admin owns that setting */
  }
  return null;
}
