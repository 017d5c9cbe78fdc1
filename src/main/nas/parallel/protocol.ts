import type { ReplicaSpec, ReplicaState, ShardBatch } from './replica';

// Messages between the data-parallel coordinator (data-parallel.ts, in the trainer's thread) and its replica
// workers (replica-worker.ts). Every request carries an id; the worker answers each in order.

export type ReplicaRequest =
  | { type: 'init'; spec: ReplicaSpec }
  | { type: 'attach'; sab: SharedArrayBuffer; rank: number; size: number; capacity: number }
  | { type: 'train'; group: string; shard: ShardBatch; lr: number }
  | { type: 'gradients'; group: string; shard: ShardBatch }
  | { type: 'checksum' }
  | { type: 'state' }
  | { type: 'load'; state: ReplicaState }
  | { type: 'memory' }
  | { type: 'dispose' };

export interface ReplicaReplies {
  init: { device: string; capacity: number; checksum: string };
  attach: null;
  train: { loss: number; correct: number; count: number };
  gradients: Record<string, Float32Array>;
  checksum: string;
  state: ReplicaState;
  load: null;
  memory: { numTensors: number; wasmHeapBytes: number | null };
  dispose: null;
}

export type ReplicaResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string; aborted: boolean };
