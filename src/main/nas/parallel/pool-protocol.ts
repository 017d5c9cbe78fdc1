import type { SpaceConfig } from '../../../shared/config';
import type { ParsedArchitecture } from '../../../shared/strategies/retrain';
import type { RetrainStepOptions } from '../estimation/retrain-step';
import type { MaskState } from './net-state';
import type { ShardCommand, ThreadBn } from './shard-step';

// Messages from a gradient pool (gradient-pool.ts, the main thread = rank 0) to its workers (pool-worker.ts).
// 'init' and 'share' are answered; 'step' and 'checksum' are not: their results travel through the shared
// reducer, which the main thread is blocked in, and a worker's failure is written to the shared error area.

export interface PoolNetSpec {
  space: SpaceConfig;
  inputShape: [number, number, number];
  classes: number;
  backend: 'wasm' | 'cpu';
  /** A retrain's stand-alone network of this architecture instead of the space's supernet. */
  standalone?: { architecture: ParsedArchitecture; auxiliary: boolean };
}

/** What a step computes beyond the shared command: a search's lossAndGrads or a retrain's step. */
export type StepKind =
  | { kind: 'search'; weights?: Record<string, { values: Float32Array; shape: [number, number] }> }
  | { kind: 'retrain'; dropPath: RetrainStepOptions['dropPath']; auxiliaryWeight: number };

/** What the main thread changed since the previous command: slots rewritten in the shared state buffer, new masks. */
export interface StateDelta {
  changed: number[];
  masks?: MaskState;
}

export type PoolRequest =
  | { type: 'init'; spec: PoolNetSpec }
  | { type: 'share'; reducer: SharedArrayBuffer; state: SharedArrayBuffer; error: SharedArrayBuffer; rank: number; size: number; capacity: number }
  | ({ type: 'step'; cmd: ShardCommand & { bn: ThreadBn }; shard: { start: number; size: number }; shape: [number, number, number, number]; input?: { x: SharedArrayBuffer; y: SharedArrayBuffer }; step: StepKind } & StateDelta)
  | ({ type: 'checksum' } & StateDelta)
  | { type: 'dispose' };

export interface PoolReplies {
  /** The net's slot layout, its state's float32 count and the reducer's capacity (shard-step.ts). */
  init: { layout: string; size: number; capacity: number; device: string };
  share: null;
}

export type PoolResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
