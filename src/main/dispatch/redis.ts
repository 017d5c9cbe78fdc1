import { Redis, type RedisOptions } from 'ioredis';

/** Where the lab's Redis is: a redis:// or rediss:// URL (credentials in it or in `options`), plus TLS/ACL
 * options the join code gives (CA pinning, user, password). */
export interface RedisTarget {
  url: string;
  options?: RedisOptions;
}

/** A connection as BullMQ needs it (no per-command retry limit: a blocked call waits out a reconnect). */
export function connectRedis(target: RedisTarget, extra: RedisOptions = {}): Redis {
  const redis = new Redis(target.url, { maxRetriesPerRequest: null, ...target.options, ...extra });
  // ioredis reconnects by itself; an outage shows as commands that wait, and as the callers' own messages.
  redis.on('error', () => undefined);
  return redis;
}

/** The URL without its password, for messages and the status page. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
