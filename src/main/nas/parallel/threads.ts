import os from 'node:os';
import type { SearchConfig } from '../../../shared/config';
import { backendSingleThreadReason, singleThreadReason } from '../../../shared/training-threads';

// How many threads a run trains on (data-parallel gradient pool, gradient-pool.ts), and why when it is one.

/** Below this many samples per thread a shard's BN statistics and kernels are too small to pay for a thread. */
export const MIN_SAMPLES_PER_THREAD = 8;

export interface ThreadsContext {
  /** Logical cores of the machine. */
  cores: number;
  /** The 1-minute load average (os.loadavg()[0]; 0 where the OS has none, as on Windows). */
  loadAverage: number;
  /** The backend the run trains on ('wasm', 'cpu', 'tensorflow', 'webgpu'). */
  backend: string;
  batchSize: number;
  /** The strategy's reason to train on one thread (StrategyDescriptor.singleThreadReason), if any. */
  singleThreadReason?: string | null;
  /** NAS_STUDIO_AUTO_THREADS: what 'auto' resolves to, whatever the machine (the test suite pins it). */
  autoOverride?: string | undefined;
}

export interface ResolvedThreads {
  threads: number;
  /** Why the run trains on fewer threads than asked or than the machine has; null when nothing was given up. */
  reason: string | null;
}

export function resolveThreads(setting: SearchConfig['threads'], ctx: ThreadsContext): ResolvedThreads {
  if (ctx.singleThreadReason) return { threads: 1, reason: ctx.singleThreadReason };
  const backendReason = backendSingleThreadReason(ctx.backend);
  if (backendReason) return { threads: 1, reason: backendReason };
  if (setting !== 'auto') {
    if (setting <= ctx.batchSize) return { threads: setting, reason: null };
    return { threads: ctx.batchSize, reason: `${setting} threads asked, but a batch of ${ctx.batchSize} gives each thread at least one sample only on ${ctx.batchSize}.` };
  }
  const override = ctx.autoOverride === undefined || ctx.autoOverride === '' ? null : Number(ctx.autoOverride);
  if (override !== null) {
    if (!Number.isInteger(override) || override < 1) throw new Error(`NAS_STUDIO_AUTO_THREADS must be a whole number ≥ 1; it is '${ctx.autoOverride}'.`);
    return { threads: Math.min(override, ctx.batchSize), reason: override === 1 ? 'NAS_STUDIO_AUTO_THREADS=1 pins threads = auto to one thread.' : null };
  }
  const idle = Math.max(1, ctx.cores - Math.round(ctx.loadAverage));
  const bySamples = Math.max(1, Math.floor(ctx.batchSize / MIN_SAMPLES_PER_THREAD));
  const threads = Math.min(idle, bySamples);
  if (threads === ctx.cores) return { threads, reason: null };
  if (bySamples < idle) {
    return {
      threads,
      reason: `A batch of ${ctx.batchSize} split ${idle} ways would leave under ${MIN_SAMPLES_PER_THREAD} samples per thread, so it trains on ${threads}: raise the batch size or set threads explicitly.`,
    };
  }
  return { threads, reason: `The machine is busy (load ${ctx.loadAverage.toFixed(1)} on ${ctx.cores} cores), so it trains on the ${threads} idle one${threads === 1 ? '' : 's'}; set threads explicitly to use more.` };
}

/** The threads a run of `config` on `backend` trains on here and now: its setting against this machine and its strategy and space. */
export function resolveRunThreads(config: SearchConfig, backend: string): ResolvedThreads {
  return resolveThreads(config.threads, {
    ...machineThreadsContext(),
    backend,
    batchSize: config.batchSize,
    singleThreadReason: singleThreadReason(config.strategy.name, 'auto', config.space.name),
  });
}

/** "Training on 1 thread: <why>." — the run's log line when it trains on one thread. */
export function oneThreadLogLine(reason: string | null): string {
  return `Training on 1 thread${reason ? `: ${reason}` : '.'}`;
}

/** This machine's cores, load and NAS_STUDIO_AUTO_THREADS, for `resolveThreads`. */
export function machineThreadsContext(): Pick<ThreadsContext, 'cores' | 'loadAverage' | 'autoOverride'> {
  return { cores: os.availableParallelism?.() ?? os.cpus().length, loadAverage: os.loadavg()[0] ?? 0, autoOverride: process.env.NAS_STUDIO_AUTO_THREADS };
}
