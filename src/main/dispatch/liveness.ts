import type { Redis } from 'ioredis';
import type { WorkerCapabilities, WorkerInfo } from '../../shared/dispatch';
import { KNOWN_WORKERS, livenessKey } from './protocol';

// The worker registry: each worker renews a liveness key (its state, capabilities and current run) that
// expires when it stops; the coordinator lists every worker ever seen, offline once its key is gone.

export interface WorkerBeat {
  state: 'idle' | 'busy' | 'refused';
  capabilities: WorkerCapabilities;
  runId: number | null;
  problem: string | null;
  user?: string | null;
}

export async function beat(redis: Redis, name: string, b: WorkerBeat, ttlMs: number): Promise<void> {
  const info: WorkerInfo = { name, ...b, lastSeen: new Date().toISOString() };
  const json = JSON.stringify(info);
  await redis.multi().set(livenessKey(name), json, 'PX', ttlMs).hset(KNOWN_WORKERS, name, json).exec();
}

/** Marks workers revoked (their Redis user switched off): listed so, until one joins again under its name. */
export async function markRevoked(redis: Redis, names: string[]): Promise<void> {
  const known = await redis.hgetall(KNOWN_WORKERS);
  const multi = redis.multi();
  for (const name of names) {
    if (!known[name]) continue;
    multi.hset(KNOWN_WORKERS, name, JSON.stringify({ ...(JSON.parse(known[name]) as WorkerInfo), state: 'revoked', runId: null }));
    multi.del(livenessKey(name));
  }
  await multi.exec();
}

/** A worker that leaves cleanly disappears at once instead of after its key's time to live. */
export async function leave(redis: Redis, name: string): Promise<void> {
  await redis.del(livenessKey(name));
}

export async function listWorkers(redis: Redis): Promise<WorkerInfo[]> {
  const known = await redis.hgetall(KNOWN_WORKERS);
  const names = Object.keys(known).sort();
  if (names.length === 0) return [];
  const live = await redis.mget(names.map(livenessKey));
  return names.map((name, i) => {
    const alive = live[i];
    if (alive) return JSON.parse(alive) as WorkerInfo;
    const last = JSON.parse(known[name]!) as WorkerInfo;
    return { ...last, state: last.state === 'revoked' ? 'revoked' : 'offline', runId: null };
  });
}
