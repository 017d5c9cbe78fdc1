import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { WorkerSession } from '../services/dispatch-service';
import { discoverFiles } from './file-server-announce';
import { HttpWorkerFiles } from './file-transfer';
import { joinLab, parseJoinCode } from './join-code';
import { livenessKey } from './protocol';
import { connectRedis, describeRedis, parseRedisUrl, redisTarget, type RedisConnection } from './redis-server-connection';
import { fetchPinnedCa, pinnedTlsOptions } from './redis-server-tls';
import { DispatchWorker, type DispatchTimings } from './worker';

// `nas-studio worker --join CODE` (and "Join a lab"), or `--redis URL --name NAME` for scripted labs: checks
// the way in (Redis credentials, the pinned CA, the file server), then runs D-A's worker loop (worker.ts)
// with the file server as its file transfer. Its cache and run folders live in this machine's data folder.

export interface LabWorkerOptions {
  dataDir: string;
  /** The worker's name in the lab (default: this machine's host name). */
  name?: string;
  /** A join code from the coordinator… */
  join?: string;
  /** …or the lab's Redis by URL (credentials in it or in NAS_STUDIO_REDIS_USER / _PASSWORD). */
  redisUrl?: string;
  appVersion: string;
  trainerScript: string;
  timings?: Partial<DispatchTimings>;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface LabWorkerSession extends WorkerSession {
  readonly worker: DispatchWorker;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

export class LabJoinError extends Error {
  constructor(
    message: string,
    readonly hint: string | null,
  ) {
    super(message);
    this.name = 'LabJoinError';
  }
}

/** This machine's name as a worker name: the host name with anything but letters, digits, . _ - dropped. */
export function defaultWorkerName(): string {
  return hostname().replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 64) || 'worker';
}

export async function startLabWorker(o: LabWorkerOptions): Promise<LabWorkerSession> {
  const name = o.name ?? defaultWorkerName();
  if (!NAME.test(name) || name === 'local' || name === 'any') {
    throw new LabJoinError(`'${name}' cannot be a worker name.`, "Use letters, digits, dot, dash or underscore (up to 64), other than 'local' and 'any'.");
  }
  if (Boolean(o.join) === Boolean(o.redisUrl)) throw new LabJoinError('Give either a join code or a Redis URL.', 'nas-studio worker --join CODE, or nas-studio worker --redis redis://HOST:PORT --name NAME.');

  let redis: RedisConnection;
  let files: { url: string; token: string; tls?: ConnectionOptions };
  if (o.join) {
    const lab = await joinLab(parseJoinCode(o.join));
    redis = lab.redis;
    files = lab.files;
  } else {
    redis = parseRedisUrl(o.redisUrl!, o.env);
  }
  // One connection to check the way in and the name before the worker loop starts.
  const probe = await connectRedis(redis);
  try {
    if (await probe.exists(livenessKey(name))) {
      throw new LabJoinError(`A worker named ${name} is already in the lab at ${describeRedis(redis)}.`, 'Give this one another name (--name), or stop the other first.');
    }
    if (!o.join) {
      const a = await discoverFiles(probe, describeRedis(redis));
      let tls: ConnectionOptions | undefined;
      if (a.caFingerprint) {
        const u = new URL(a.url);
        tls = pinnedTlsOptions(await fetchPinnedCa(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port), a.caFingerprint));
      }
      files = { url: a.url, token: a.token, tls };
    }
  } finally {
    probe.disconnect();
  }

  const base = join(o.dataDir, 'worker');
  const worker = new DispatchWorker({
    redis: redisTarget(redis),
    name,
    files: new HttpWorkerFiles({ filesUrl: files!.url, token: files!.token, cacheDir: join(base, 'cache'), tls: files!.tls }),
    trainerScript: o.trainerScript,
    workDir: join(base, 'runs'),
    cacheDir: join(base, 'cache'),
    redisUser: redis.username ?? null,
    appVersion: o.appVersion,
    timings: o.timings,
    log: o.log,
  });
  await worker.start();
  return {
    redis: describeRedis(redis),
    name,
    worker,
    problem: () => null,
    stop: () => worker.close(),
  };
}
