import type { SearchConfig } from '../../shared/config';
import type { TrainerEvent } from '../../shared/events';
import type { JobExit } from '../runs/execution-backend';

// The coordinator ↔ worker protocol on Redis (issue 13). Jobs travel on BullMQ queues; every event a worker
// sends goes on the run's stream, stamped with its attempt and a sequence number (the fence and the
// idempotency key); control goes the other way through one hash per run that workers poll.

/** The queue every worker takes jobs from (where = 'any'), and the one of a named worker. */
export const SHARED_QUEUE = 'nas-runs';
export const workerQueue = (name: string) => `nas-runs-${name}`;
export const queueFor = (where: string) => (where === 'any' ? SHARED_QUEUE : workerQueue(where));

/** One job per dispatch of a run: adding it twice is ignored by BullMQ. */
export const jobId = (runId: number, attempt: number) => `run-${runId}-attempt-${attempt}`;

export const streamKey = (runId: number) => `nas:run:${runId}:events`;
/** Hash { attempt, command }: the attempt allowed to train, and 'run' | 'pause' | 'stop' | 'kill'. */
export const controlKey = (runId: number) => `nas:run:${runId}:control`;
/** A worker's liveness key (expires when it stops renewing it) and the registry of every worker seen. */
export const livenessKey = (name: string) => `nas:worker:${name}`;
export const LIVENESS_PATTERN = 'nas:worker:*';
export const KNOWN_WORKERS = 'nas:workers';

export type ControlCommand = 'run' | 'pause' | 'stop' | 'kill';

/** A file fetched by its content: datasets, a user's benchmark table, checkpoints. */
export interface FileRef {
  sha256: string;
  /** The file's name where it was made (the trainer reads IDX pairs and checkpoint names by name). */
  name: string;
  size: number;
}

export interface ImagePayload {
  kind?: 'images';
  name: string;
  trainImages: FileRef;
  trainLabels: FileRef;
  testImages?: FileRef;
  testLabels?: FileRef;
}

/** An SPD matrix set: a built-in one is generated on the worker; an imported one travels as its packed files. */
export interface SpdPayload {
  kind: 'spd';
  name: string;
  builtin?: string;
  /** File name in the packed folder → its content. */
  files?: Record<string, FileRef>;
}

export interface DispatchJobData {
  protocol: number;
  appVersion: string;
  runId: number;
  attempt: number;
  config: SearchConfig;
  /** The training set by content; null for a dry run. */
  data: ImagePayload | SpdPayload | null;
  benchmarkTable: FileRef | null;
  /** The checkpoint to resume from (uploaded by an earlier attempt or written by a local run). */
  resumeFrom: (FileRef & { epoch: number | null }) | null;
}

/** An entry of a run's stream. */
export type StreamEntry =
  | { kind: 'started'; worker: string }
  | { kind: 'event'; event: TrainerEvent; /** a checkpoint's content, uploaded before the event was sent */ file?: FileRef }
  | { kind: 'done'; exit: JobExit };

/** A stream entry as stored: flat string fields a (attempt), s (sequence), d (JSON of the entry). */
export function encodeEntry(attempt: number, seq: number, entry: StreamEntry): string[] {
  return ['a', String(attempt), 's', String(seq), 'd', JSON.stringify(entry)];
}

export function decodeEntry(fields: string[]): { attempt: number; seq: number; entry: StreamEntry } | null {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const attempt = Number(map.get('a'));
  const seq = Number(map.get('s'));
  if (!Number.isInteger(attempt) || !Number.isInteger(seq)) return null;
  try {
    return { attempt, seq, entry: JSON.parse(map.get('d') ?? '') as StreamEntry };
  } catch {
    return null;
  }
}
