import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { SearchConfig } from '../../shared/config';
import type { DataReference } from '../nas/job';
import type { CoordinatorSession } from '../services/dispatch-service';
import { OWNER_ONLY_DIR, restrictToOwner } from '../store/file-modes';
import type { Store } from '../store/store';
import { DispatchCoordinator } from './coordinator';
import { announceFiles, labFilesToken } from './file-server-announce';
import { LabFileServer, tokensOf } from './file-server';
import { joinCodeFor } from './join-code';
import { ManagedRedis } from './redis-server';
import { lanAddress } from './redis-server-config';
import { connectRedis, describeRedis, evictionWarning, parseRedisUrl, redisTarget, type RedisConnection } from './redis-server-connection';
import { TlsSetupError, ensureLabTls, type LabTls } from './redis-server-tls';
import { NotFoundError, UserError } from '../app-errors';

// "Let other machines help" and `nas-studio serve --coordinator`: Redis (started here, or the lab's own by
// URL), the file server workers fetch datasets from and upload checkpoints to, the dispatch coordinator that
// reads their streams into this app's SQLite, and the join code for the next worker.

/** What the coordinator needs from the app it works in (the composition root passes it). */
export interface LabContext {
  store: Store;
  resolveDataset(config: SearchConfig): { ref: DataReference };
  benchmarkTable(): string | null;
}

export interface LabNetworkOptions {
  /** Interface Redis and the file server listen on (default 0.0.0.0). */
  bind?: string;
  /** The address workers use (default: this machine's first LAN address). */
  advertiseHost?: string;
  /** Port of the Redis started here (default 6380; 0 = any free). */
  redisPort?: number;
  /** Port of the file server (default 0 = any free: workers learn it from the code or from Redis). */
  filesPort?: number;
  tls?: 'auto' | 'on' | 'off';
  redisServer?: string;
}

export interface LabCoordinatorOptions extends LabNetworkOptions {
  dataDir: string;
  context: LabContext;
  appVersion: string;
  /** A Redis the lab runs (redis://USER:PASSWORD@HOST:PORT); absent = start redis-server here. */
  redisUrl?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface LabCoordinatorSession extends CoordinatorSession {
  /** Puts runs on the queue, follows their streams: the run manager sends remote runs here. */
  readonly dispatcher: DispatchCoordinator;
  readonly filesUrl: string;
  /** The Redis started here; null when the lab's own is used. */
  readonly managed: ManagedRedis | null;
}

export async function startLabCoordinator(o: LabCoordinatorOptions): Promise<LabCoordinatorSession> {
  const dir = join(o.dataDir, 'redis');
  mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR });
  restrictToOwner(dir, OWNER_ONLY_DIR);
  const bind = o.bind ?? '0.0.0.0';
  const advertiseHost = o.advertiseHost ?? (bind === '0.0.0.0' ? lanAddress() : bind);
  const cleanup: Array<() => Promise<void> | void> = [];
  const problems: string[] = [];
  try {
    let managed: ManagedRedis | null = null;
    let conn: RedisConnection;
    let tls: LabTls | null = null;
    if (o.redisUrl) {
      conn = parseRedisUrl(o.redisUrl, o.env);
      if (o.tls !== 'off') {
        try {
          tls = ensureLabTls(join(dir, 'tls'), [advertiseHost, bind]);
        } catch (e) {
          if (o.tls === 'on' || !(e instanceof TlsSetupError)) throw e;
          problems.push(`The file server runs without TLS: ${e.message}`);
        }
      }
    } else {
      managed = await ManagedRedis.start({ dataDir: o.dataDir, bind, port: o.redisPort, advertiseHost, tls: o.tls, redisServer: o.redisServer });
      cleanup.push(() => managed!.stop());
      conn = managed.coordinatorConnection();
      tls = managed.tls;
      if (managed.tlsProblem) problems.push(managed.tlsProblem);
    }
    const client: Redis = await connectRedis(conn);
    cleanup.push(() => client.disconnect());
    if (!managed) {
      const warning = await evictionWarning(client, conn);
      if (warning) problems.push(warning);
    }

    const labToken = labFilesToken(dir);
    const perWorker = managed ? tokensOf(() => managed!.workers()) : () => null;
    const labDigest = createHash('sha256').update(labToken).digest();
    const files = await LabFileServer.start({
      host: bind,
      port: o.filesPort ?? 0,
      advertiseHost,
      tls,
      storeDir: join(o.dataDir, 'dispatch-files'),
      authorise: (token) => perWorker(token) ?? (timingSafeEqual(createHash('sha256').update(token).digest(), labDigest) ? 'lab' : null),
    });
    cleanup.push(() => files.close());
    await announceFiles(client, { url: files.url, token: labToken, caFingerprint: tls?.caFingerprint ?? null });

    const dispatcher = new DispatchCoordinator({
      store: o.context.store,
      redis: redisTarget(conn),
      files,
      appVersion: o.appVersion,
      resolveDataset: (config) => o.context.resolveDataset(config),
      benchmarkTable: () => o.context.benchmarkTable(),
      log: o.log,
    });
    cleanup.push(() => dispatcher.close());
    await dispatcher.start();

    let code = managed ? joinCodeFor(managed, await managed.nextWorker(), files.url) : null;
    const where = managed ? managed.describe() : describeRedis({ ...conn, username: undefined });
    return {
      redis: where,
      dispatcher,
      filesUrl: files.url,
      managed,
      joinCode: () => code,
      async workers() {
        // A code someone used is replaced by a fresh one (its own user and password) for the next worker.
        if (managed) code = joinCodeFor(managed, await managed.nextWorker(), files.url);
        return dispatcher.workers();
      },
      problem: () => (problems.length ? problems.join(' ') : null),
      revokeWorker: managed ? (name: string) => revokeWorker(managed!, dispatcher, name) : undefined,
      async stop() {
        for (const step of [...cleanup].reverse()) await Promise.resolve(step()).catch(() => undefined);
      },
    };
  } catch (e) {
    for (const step of [...cleanup].reverse()) await Promise.resolve(step()).catch(() => undefined);
    throw e;
  }
}

/**
 * Revokes a worker: its Redis user is switched off and its connections dropped (ManagedRedis), so it stops
 * taking runs at once, its run moves on when the lock expires, and its join code and file token stop working.
 * Every worker that joined with the same code shares the user, so all of them go: the answer names them.
 */
async function revokeWorker(managed: ManagedRedis, dispatcher: DispatchCoordinator, name: string): Promise<void> {
  const workers = await dispatcher.workers();
  const worker = workers.find((w) => w.name === name);
  if (!worker) throw new NotFoundError(`There is no worker named ${name} in this lab.`, 'The Workers page lists the names.');
  if (!worker.user) throw new UserError(`Worker ${name} does not say which Redis user it logs in as (an older version).`, 'Stop it on its machine instead.');
  await managed.revokeWorker(worker.user);
  await dispatcher.markRevoked(workers.filter((w) => w.user === worker.user).map((w) => w.name));
}
