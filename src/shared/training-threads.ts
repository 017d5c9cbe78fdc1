import type { BackendName } from './backends';
import { SPACE_DESCRIPTORS, type SpaceDescriptor } from './spaces/registry';
import { STRATEGY_DESCRIPTORS, type StrategyName } from './strategies/registry';
import type { StrategyDescriptor } from './strategies/types';

// Where a run's `threads` setting applies: data-parallel replicas run on the CPU backends (one wasm or JS
// engine per thread); a GPU backend already spreads a step over its device, and some strategies cannot
// split a batch (their descriptor says why). The New-run form, the pre-flight and the run view read this.

/** The backends whose engines train one thread each, so N threads use N cores. */
export const THREADED_BACKENDS = ['wasm', 'cpu'] as const satisfies readonly BackendName[];

export function isThreadedBackend(backend: string): backend is (typeof THREADED_BACKENDS)[number] {
  return (THREADED_BACKENDS as readonly string[]).includes(backend);
}

/** Why a run on this backend trains on one thread; null on the backends threads apply to (or 'auto', not yet resolved). */
export function backendSingleThreadReason(backend: string): string | null {
  if (backend === 'auto' || isThreadedBackend(backend)) return null;
  return `The ${backend} backend trains on its own device, which already runs every step in parallel: threads apply to the wasm and cpu backends.`;
}

/** Why a run of this strategy in this space on this backend trains on one thread whatever its setting; null when threads apply. */
export function singleThreadReason(strategy: string, backend: BackendName | 'auto', space?: string): string | null {
  const descriptor = (STRATEGY_DESCRIPTORS as Record<string, StrategyDescriptor>)[strategy as StrategyName];
  if (descriptor?.singleThreadReason) return descriptor.singleThreadReason;
  const spaceReason = space ? (SPACE_DESCRIPTORS as Record<string, SpaceDescriptor>)[space]?.singleThreadReason : undefined;
  return spaceReason ?? backendSingleThreadReason(backend);
}

/** The metric the trainer reports its CPU use as: cores busy over the last few seconds, every thread counted (trainer/cpu-meter.ts). */
export const CPU_CORES_METRIC = 'cpu_cores';

/** "2 (synchronised BatchNorm)", "1": a run's threads as the run view and the CLI show them after "Threads: ". */
export function describeThreads(threads: number, threadBn: 'sync' | 'per-worker' | undefined): string {
  if (threads <= 1) return '1';
  return `${threads} (${threadBn === 'per-worker' ? 'BatchNorm per thread' : 'synchronised BatchNorm'})`;
}
