import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { PoolReplies, PoolRequest, PoolResponse } from './pool-protocol';

// The main thread's side of one gradient-pool worker: where the bundled entry lives, and requests answered by
// message (start-up) or through shared memory (steps, checksums).

/**
 * Where the bundled worker entry lives: next to this module's bundle, or one folder up (out/main/chunks →
 * out/main); when this module runs from the source tree (tests), in the build output out/main.
 */
export function defaultWorkerScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'parallel-replica.js'), path.join(here, '..', 'parallel-replica.js'), path.join(here, '../../../../out/main/parallel-replica.js')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new Error(`The data-parallel worker script parallel-replica.js is missing (looked in ${candidates.join(' and ')}): run "npm run build", or train with threads = 1.`);
  }
  return found;
}

export class WorkerHandle {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  closing = false;

  constructor(
    readonly worker: Worker,
    readonly rank: number,
  ) {
    worker.on('message', (r: PoolResponse) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.result);
      else p.reject(new Error(`Training thread ${rank}: ${r.error}`));
    });
    const fail = (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', (e) => fail(new Error(`Training thread ${rank} crashed: ${e.message}`)));
    worker.on('exit', (code) => {
      if (!this.closing) fail(new Error(`Training thread ${rank} exited (code ${code}).`));
    });
  }

  request<T extends 'init' | 'share'>(req: Extract<PoolRequest, { type: T }>): Promise<PoolReplies[T]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, req });
    });
  }

  /** A command answered through shared memory, not by message. */
  post(req: PoolRequest): void {
    this.worker.postMessage({ id: 0, req });
  }
}
