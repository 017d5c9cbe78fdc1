import type { SearchConfig } from '../../../shared/config';
import type { TrainerEvent } from '../../../shared/events';
import { GradientPool } from './gradient-pool';
import type { PoolNetSpec } from './pool-protocol';
import { oneThreadLogLine, type ResolvedThreads } from './threads';

// A run's gradient pool, as the job runners (job.ts for searches, estimation/retrain-job.ts for retrains) start
// it: one log line saying how many threads and why, and the replicas verified after every epoch.

/** The pool a run trains on, or null on one thread; logs which, and why when it is one. */
export async function startRunPool(
  config: SearchConfig,
  threads: ResolvedThreads,
  net: Omit<PoolNetSpec, 'space' | 'backend'> & { backend: string },
  emit: (e: TrainerEvent) => void,
): Promise<GradientPool | null> {
  if (threads.threads < 2) {
    emit({ type: 'log', level: 'info', message: oneThreadLogLine(threads.reason) });
    return null;
  }
  const bn = config.threadBn === 'sync' ? 'synchronised BatchNorm' : 'BatchNorm per thread';
  // resolveThreads gives more than one thread only on the CPU backends.
  const pool = await GradientPool.start({ ...net, threads: threads.threads, bn: config.threadBn, space: config.space, backend: net.backend as 'wasm' | 'cpu' });
  emit({ type: 'log', level: 'info', message: `Training on ${threads.threads} threads (${bn})${threads.reason ? `: ${threads.reason}` : '.'}` });
  return pool;
}

/** Checks after every epoch (its summary metrics) that the pool's threads still mirror the main thread exactly. */
export function verifiedEachEpoch(emit: (e: TrainerEvent) => void, verify: () => void): (e: TrainerEvent) => void {
  return (e) => {
    if (e.type === 'metrics' && 'epoch_train_loss' in e.values) verify();
    emit(e);
  };
}
