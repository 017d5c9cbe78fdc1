import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE, restrictToOwner } from '../store/file-modes';
import { aclText, addWorkerUser, loadCredentials, saveCredentials, writeAclFile, type LabCredentials, type RedisUser } from './redis-server-acl';
import { freePort, lanAddress, redisConfText, redisSupportsTls } from './redis-server-config';
import { RedisConnectError, connectRedis, describeRedis, type RedisConnection } from './redis-server-connection';
import { ensureLabTls, pinnedTlsOptions, type LabTls } from './redis-server-tls';

// "Let other machines help": the coordinator starts Debian's redis-server with a config it writes in the data
// folder (<data>/redis, 0700): append-only file, noeviction, ACL users (the coordinator and one per worker,
// default user off) and TLS with the lab's own CA where the build has it. Redis runs in its own process group
// so a Ctrl+C meant for the app does not cut it off mid-write; a coordinator that restarts after a crash finds
// it by its pid file and takes it over, so queued jobs and streams carry on.

export interface ManagedRedisOptions {
  /** The app's data folder; Redis keeps its files in <dataDir>/redis. */
  dataDir: string;
  /** Interface to listen on (default 0.0.0.0: the lab's machines must reach it). */
  bind?: string;
  /** Port (default 6380, beside a system Redis on 6379); 0 = any free port. */
  port?: number;
  /** The address put in join codes (default: this machine's first LAN address). */
  advertiseHost?: string;
  /** 'auto' (default): TLS when this redis-server has it; 'on': refuse to start without; 'off': plain TCP. */
  tls?: 'auto' | 'on' | 'off';
  /** The redis-server program (default: redis-server on the PATH). */
  redisServer?: string;
  startTimeoutMs?: number;
}

export const DEFAULT_REDIS_PORT = 6380;
const NO_TLS_BUILD =
  'This redis-server was built without TLS: traffic between the machines is not encrypted (each worker still needs its own password). Use it only on a lab network you trust, or install a redis-server built with TLS (Debian 12\'s is).';

export class ManagedRedis {
  private constructor(
    readonly dir: string,
    /** Where workers reach it (join codes). */
    readonly advertiseHost: string,
    readonly port: number,
    private readonly local: string,
    readonly tls: LabTls | null,
    /** Why TLS is off although wanted, in words for the UI and CLI; null when TLS is on or turned off. */
    readonly tlsProblem: string | null,
    private creds: LabCredentials,
    private admin: Redis,
    private readonly child: ChildProcess | null,
    readonly pid: number | null,
  ) {}

  static async start(o: ManagedRedisOptions): Promise<ManagedRedis> {
    const binary = o.redisServer ?? 'redis-server';
    const dir = join(o.dataDir, 'redis');
    for (const d of [dir, join(dir, 'data')]) {
      mkdirSync(d, { recursive: true, mode: OWNER_ONLY_DIR });
      restrictToOwner(d, OWNER_ONLY_DIR);
    }
    const bind = o.bind ?? '0.0.0.0';
    const advertiseHost = o.advertiseHost ?? (bind === '0.0.0.0' || bind === '::' ? lanAddress() : bind);
    const local = bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '::1' : bind;

    if (!existsSyncOnPath(binary)) throw notInstalled(binary);
    const wantTls = o.tls ?? 'auto';
    let tlsProblem: string | null = null;
    let tls: LabTls | null = null;
    if (wantTls !== 'off') {
      if (redisSupportsTls(binary)) tls = ensureLabTls(join(dir, 'tls'), [advertiseHost, bind]);
      else if (wantTls === 'on') throw new RedisConnectError(NO_TLS_BUILD, null);
      else tlsProblem = NO_TLS_BUILD;
    }

    const creds = loadCredentials(dir);
    saveCredentials(dir, creds);
    writeAclFile(dir, creds);

    const adopted = await adoptRunning(dir, local, tls, creds);
    if (adopted) {
      return new ManagedRedis(dir, advertiseHost, adopted.port, local, tls, tlsProblem, creds, adopted.admin, null, adopted.pid);
    }

    const port = o.port === 0 ? await freePort(bind) : (o.port ?? DEFAULT_REDIS_PORT);
    const confFile = join(dir, 'redis.conf');
    writeFileSync(confFile, redisConfText({ dir, bind, port, tls }), { mode: OWNER_ONLY_FILE });
    restrictToOwner(confFile, OWNER_ONLY_FILE);
    writeFileSync(join(dir, 'port'), `${port}\n`, { mode: OWNER_ONLY_FILE });
    const logFile = join(dir, 'redis.log');
    const logStart = existsSync(logFile) ? readFileSync(logFile).length : 0;

    const child = spawn(binary, [confFile], { cwd: dir, stdio: 'ignore', detached: true });
    const exited = new Promise<string>((resolve) => {
      child.once('error', (e) => resolve((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'ENOENT' : e.message));
      child.once('exit', (code, signal) => resolve(`exited (${signal ?? code})`));
    });
    const conn = coordinatorConnection(local, port, tls, creds);
    const deadline = Date.now() + (o.startTimeoutMs ?? 15_000);
    for (;;) {
      const early = await Promise.race([exited, sleep(150).then(() => null)]);
      if (early === 'ENOENT') throw notInstalled(binary);
      if (early !== null) throw startFailure(port, early, logTail(logFile, logStart));
      try {
        const admin = await connectRedis(conn, { connectTimeout: 2_000 });
        child.unref();
        return new ManagedRedis(dir, advertiseHost, port, local, tls, tlsProblem, creds, admin, child, child.pid ?? null);
      } catch (e) {
        if (Date.now() > deadline) {
          child.kill('SIGTERM');
          throw new RedisConnectError(`redis-server did not answer within ${(o.startTimeoutMs ?? 15_000) / 1000} s: ${(e as Error).message}`, `Its log is ${logFile}.`);
        }
      }
    }
  }

  /** Where it is, without credentials, e.g. 'rediss://10.0.0.5:6380'. */
  describe(): string {
    return describeRedis({ host: this.advertiseHost, port: this.port, tls: this.tls ? {} : undefined });
  }

  /** The coordinator's own connection (BullMQ queues, stream reads): over loopback, as the coordinator user. */
  coordinatorConnection(): RedisConnection {
    return coordinatorConnection(this.local, this.port, this.tls, this.creds);
  }

  /** A worker's connection as the coordinator's machine would make it (tests, a worker on this machine). */
  workerConnection(user: RedisUser, host = this.advertiseHost): RedisConnection {
    return { host, port: this.port, username: user.user, password: user.password, tls: this.tls ? pinnedTlsOptions(this.tls.caPem) : undefined };
  }

  workers(): RedisUser[] {
    return this.creds.workers.map((w) => ({ ...w }));
  }

  /** A new ACL user for one more worker, live at once and kept (users.acl) for the next start. */
  async addWorker(): Promise<RedisUser> {
    const next: LabCredentials = { coordinator: this.creds.coordinator, workers: this.creds.workers.map((w) => ({ ...w })) };
    const user = addWorkerUser(next);
    await this.applyCredentials(next, user.user);
    return { ...user };
  }

  /**
   * The worker user whose code to show next: the newest one no worker has logged in as yet (a new one when
   * all are used). A user is used once Redis lists a connection of it.
   */
  async nextWorker(): Promise<RedisUser> {
    const list = (await this.admin.call('CLIENT', 'LIST')) as string;
    const connected = new Set([...list.matchAll(/\buser=(\S+)/g)].map((m) => m[1]));
    const seen = this.creds.workers.filter((w) => !w.joinedAt && connected.has(w.user));
    if (seen.length) {
      const at = new Date().toISOString();
      this.creds = { ...this.creds, workers: this.creds.workers.map((w) => (seen.includes(w) ? { ...w, joinedAt: at } : w)) };
      saveCredentials(this.dir, this.creds);
    }
    const unused = this.creds.workers.filter((w) => !w.joinedAt && !w.revoked).at(-1);
    return unused ? { ...unused } : this.addWorker();
  }

  /** Switches a worker's user off and drops its connections: its join code stops working. */
  async revokeWorker(user: string): Promise<void> {
    const next: LabCredentials = { coordinator: this.creds.coordinator, workers: this.creds.workers.map((w) => (w.user === user ? { ...w, revoked: true } : { ...w })) };
    if (!next.workers.some((w) => w.user === user)) throw new RedisConnectError(`There is no worker user '${user}'.`, null);
    await this.applyCredentials(next, user);
    await this.admin.call('CLIENT', 'KILL', 'USER', user).catch(() => {});
  }

  /**
   * Files first (a crash in between leaves the next start right), then the one user changed in the running
   * Redis with ACL SETUSER: ACL LOAD would also drop every other worker's connections.
   */
  private async applyCredentials(next: LabCredentials, changed: string): Promise<void> {
    saveCredentials(this.dir, next);
    writeAclFile(this.dir, next);
    const line = aclText(next).split('\n').find((l) => l.startsWith(`user ${changed} `))!;
    await this.admin.call('ACL', 'SETUSER', changed, 'reset', ...line.split(' ').slice(2));
    this.creds = next;
  }

  /** Shuts Redis down cleanly (the append-only file is flushed) and waits for the process to end. */
  async stop(): Promise<void> {
    const pid = this.pid;
    // Redis closes the connection as it exits: that must not be retried.
    this.admin.options.retryStrategy = () => null;
    this.admin.options.maxRetriesPerRequest = 0;
    await this.admin.call('SHUTDOWN').catch(() => {});
    this.admin.disconnect();
    const deadline = Date.now() + 10_000;
    while (pid !== null && alive(pid) && Date.now() < deadline) await sleep(50);
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

function coordinatorConnection(host: string, port: number, tls: LabTls | null, creds: LabCredentials): RedisConnection {
  return { host, port, username: creds.coordinator.user, password: creds.coordinator.password, tls: tls ? pinnedTlsOptions(tls.caPem) : undefined };
}

/** A Redis this data folder started earlier that still runs (the coordinator crashed): taken over if it answers. */
async function adoptRunning(dir: string, local: string, tls: LabTls | null, creds: LabCredentials): Promise<{ admin: Redis; port: number; pid: number } | null> {
  const pid = readInt(join(dir, 'redis.pid'));
  const port = readInt(join(dir, 'port'));
  if (pid === null || port === null || !alive(pid)) return null;
  let admin: Redis;
  try {
    admin = await connectRedis(coordinatorConnection(local, port, tls, creds), { connectTimeout: 2_000 });
  } catch (e) {
    // Nothing listens there: the pid was reused by another program after Redis ended.
    if (/Nothing answers/.test((e as Error).message)) return null;
    throw new RedisConnectError(
      `A Redis started earlier from this data folder (pid ${pid}, port ${port}) still runs but does not answer as the coordinator.`,
      `Stop it (kill ${pid}) and try again; queued runs are kept in its append-only file.`,
    );
  }
  const serverPid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);
  if (serverPid !== pid) {
    admin.disconnect();
    return null;
  }
  return { admin, port, pid };
}

function readInt(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function existsSyncOnPath(binary: string): boolean {
  if (binary.includes('/')) return existsSync(binary);
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, binary)));
}

function notInstalled(binary: string): RedisConnectError {
  return new RedisConnectError(
    `${binary} is not installed on this machine, so NAS Studio cannot start the lab's Redis.`,
    "Install it (Debian: 'sudo apt-get install redis-server'), or use a Redis the lab already runs: nas-studio serve --coordinator --redis redis://HOST:PORT.",
  );
}

function logTail(file: string, from: number): string {
  try {
    return readFileSync(file).subarray(from).toString('utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

function startFailure(port: number, how: string, log: string): RedisConnectError {
  if (/Address already in use/i.test(log)) {
    return new RedisConnectError(`Port ${port} is taken by another program, so the lab's Redis cannot start there.`, 'Choose another port (--redis-port), or stop the program that holds it.');
  }
  return new RedisConnectError(`redis-server ${how} at start.${log ? ` Its log says:\n${log}` : ''}`, null);
}
