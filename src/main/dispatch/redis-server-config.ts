import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { LabTls } from './redis-server-tls';

// The redis.conf NAS Studio writes for the Redis it starts, and the facts about this machine it needs
// (whether Debian's redis-server was built with TLS, a free port, the address other machines use).

export interface RedisConfigInput {
  dir: string;
  bind: string;
  port: number;
  tls: LabTls | null;
}

/** redis.conf values are double-quoted: the data folder often has a space ('NAS Studio'). */
const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function redisConfText(c: RedisConfigInput): string {
  const lines = [
    '# Written by NAS Studio at each start of "Let other machines help"; edits here are replaced.',
    `bind ${c.bind}`,
    // The default user is off (users.acl), so nothing is reachable without a password anyway.
    'protected-mode no',
    ...(c.tls
      ? ['port 0', `tls-port ${c.port}`, `tls-cert-file ${q(c.tls.chainFile)}`, `tls-key-file ${q(c.tls.keyFile)}`, `tls-ca-cert-file ${q(c.tls.caFile)}`, 'tls-auth-clients no', 'tls-protocols "TLSv1.2 TLSv1.3"']
      : [`port ${c.port}`]),
    `dir ${q(join(c.dir, 'data'))}`,
    // Queued runs must survive a restart and never be evicted: BullMQ needs both.
    'appendonly yes',
    'appendfsync everysec',
    'save ""',
    'maxmemory-policy noeviction',
    `aclfile ${q(join(c.dir, 'users.acl'))}`,
    `pidfile ${q(join(c.dir, 'redis.pid'))}`,
    `logfile ${q(join(c.dir, 'redis.log'))}`,
    'daemonize no',
  ];
  return `${lines.join('\n')}\n`;
}

const tlsSupport = new Map<string, boolean>();

/**
 * Whether this redis-server was built with TLS: a build without it rejects the tls-port directive as
 * unknown, a build with it complains about the missing key instead. (Debian 12's is built with TLS.)
 */
export function redisSupportsTls(binary: string): boolean {
  const known = tlsSupport.get(binary);
  if (known !== undefined) return known;
  const r = spawnSync(binary, ['--port', '0', '--tls-port', '1', '--tls-cert-file', '/nonexistent', '--tls-key-file', '/nonexistent', '--logfile', ''], { encoding: 'utf8', timeout: 10_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const supported = !r.error && !/Bad directive/i.test(out);
  tlsSupport.set(binary, supported);
  return supported;
}

/** A port free on `host` now (port 0 asked of the OS); Redis has no "any port" of its own. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host === '0.0.0.0' ? undefined : host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** The address other machines of the lab most likely reach this one by: its first LAN IPv4, else its name. */
export function lanAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return hostname();
}
