import { z } from 'zod';
import { SearchConfigSchema } from './config';
import { DecisionSchema, EarlyStopSchema, EigenvalueSchema, EnvironmentSchema, Nb201ScoreSchema, RUN_STATUSES, SearchSummarySchema, TrainerEventSchema } from './events';

// The contract between the renderer and main: every request (channel → args/result schemas) and every
// pushed event. Both transports (Electron IPC and the headless HTTP/SSE server) validate args with these
// schemas before a handler runs; the renderer's client uses the same types.

const id = z.number().int().positive();

/** A dry run is a search on the NAS-Bench-201 table instead of a dataset (config.estimation 'nb201-table'). */
export const RUN_KINDS = ['search', 'retrain', 'evaluate', 'dry-run'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export const RunSummarySchema = z.object({
  id,
  kind: z.enum(RUN_KINDS),
  name: z.string(),
  status: z.enum(RUN_STATUSES),
  strategy: z.string(),
  space: z.string(),
  datasetName: z.string(),
  seed: z.number().int(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  /** Best validation accuracy seen so far (0..1), null before the first epoch ends. */
  bestAccuracy: z.number().nullable(),
  /** Progress 0..1 of the planned epochs. */
  progress: z.number(),
  error: z.string().nullable(),
  /** Milliseconds spent training (pauses, queueing and downtime excluded), up to the last status change. */
  activeMs: z.number(),
  /** Start of the current training span while running; the live duration is activeMs + (now − runningSince). */
  runningSince: z.number().nullable(),
  /** The latest collapse warning of a one-shot search, null when none was raised. */
  collapseWarning: z.string().nullable(),
  /** The α gradient order of a one-shot strategy (1 or 2), null for strategies without one. */
  strategyOrder: z.number().int().nullable(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

export const RunDetailSchema = RunSummarySchema.extend({
  config: SearchConfigSchema,
  environment: EnvironmentSchema.nullable(),
  arch: z.string().nullable(),
  genotype: z.unknown().nullable(),
  nb201: Nb201ScoreSchema.nullable(),
  /** What the search evaluated and which accuracy its decisions used (the result's summary); null before it. */
  summary: SearchSummarySchema.nullable(),
  lastCheckpointEpoch: z.number().int().nullable(),
  /** True when a checkpoint exists and the run is not running: resume continues from it. */
  resumable: z.boolean(),
});
export type RunDetail = z.infer<typeof RunDetailSchema>;

export const MetricSeriesSchema = z.record(
  z.string(),
  z.array(z.tuple([z.number(), z.number(), z.number()])), // [step, epoch, value]
);
export type MetricSeries = z.infer<typeof MetricSeriesSchema>;

export const SnapshotSchema = z.object({ epoch: z.number(), kind: z.string(), payload: z.unknown() });
export type Snapshot = z.infer<typeof SnapshotSchema>;

export const LogLineSchema = z.object({ time: z.number(), level: z.string(), message: z.string() });
export type LogLine = z.infer<typeof LogLineSchema>;

export const DatasetSchema = z.object({
  id,
  name: z.string(),
  format: z.string(),
  location: z.string(),
  shape: z.array(z.number().int()), // [H, W, C]
  classes: z.number().int(),
  trainCount: z.number().int(),
  testCount: z.number().int(),
  classCounts: z.array(z.number().int()),
  checksum: z.string(),
  createdAt: z.number(),
  /** Names of the classes in label order, where the set is known (e.g. Fashion-MNIST); absent otherwise. */
  classNames: z.array(z.string()).optional(),
});
export type Dataset = z.infer<typeof DatasetSchema>;

/** An import's answer: the dataset, and whether it was already in the list (same files, same checksum). */
export const DatasetImportResultSchema = DatasetSchema.extend({ alreadyImported: z.boolean() });

export const RunListQuerySchema = z
  .object({
    status: z.enum(RUN_STATUSES).optional(),
    search: z.string().max(200).optional(),
    sort: z.enum(['createdAt', 'status', 'strategy', 'space', 'dataset', 'bestAccuracy', 'duration']).optional(),
    direction: z.enum(['asc', 'desc']).optional(),
  })
  .strict();
export type RunListQuery = z.infer<typeof RunListQuerySchema>;

/** The data folder's disk: 'low' when little space is left, 'fault' when writes fail (runs pause). */
export const StorageStatusSchema = z.object({
  level: z.enum(['ok', 'low', 'fault']),
  folder: z.string(),
  freeBytes: z.number().nullable(),
  /** What is wrong and what to do; null when all is well. */
  message: z.string().nullable(),
});
export type StorageStatus = z.infer<typeof StorageStatusSchema>;

/** The NAS-Bench-201 table scores come from: the built-in one or a user's import (benchmarks.* channels). */
export const BenchmarkInfoSchema = z.object({
  source: z.enum(['built-in', 'imported']),
  /** The file read: resources/nb201.csv, or the copy in the data folder. */
  path: z.string(),
  rows: z.number().int(),
  /** Whether it has cifar10_valid, the accuracy a dry run should decide on. */
  hasValidation: z.boolean(),
  validationColumns: z.array(z.string()),
  importedAt: z.number().nullable(),
  /** The file the user imported (the copy is `path`). */
  importedFrom: z.string().nullable(),
  sha256: z.string(),
});
export type BenchmarkInfo = z.infer<typeof BenchmarkInfoSchema>;

const none = z.object({}).strict();
const byId = z.object({ id }).strict();
const ok = z.object({ ok: z.literal(true) });

export const channels = {
  'app.info': {
    args: none,
    result: z.object({
      version: z.string(),
      dataDir: z.string(),
      mode: z.enum(['electron', 'headless']),
      interruptedRuns: z.array(id),
      /** The data folder's disk now (later changes arrive as storage.status push events). */
      storage: StorageStatusSchema,
    }),
  },
  'runs.list': { args: RunListQuerySchema, result: z.array(RunSummarySchema) },
  'runs.get': { args: byId, result: RunDetailSchema },
  'runs.create': { args: z.object({ config: SearchConfigSchema }).strict(), result: z.object({ id }) },
  'runs.cancel': { args: byId, result: ok },
  'runs.pause': { args: byId, result: ok },
  'runs.resume': { args: byId, result: ok },
  'runs.delete': { args: byId, result: ok },
  'runs.metrics': {
    args: z.object({ id, maxPoints: z.number().int().min(10).max(100_000).optional() }).strict(),
    result: MetricSeriesSchema,
  },
  'runs.snapshots': {
    args: z.object({ id, kind: z.enum(['alpha', 'probabilities', 'genotype', 'policy']) }).strict(),
    result: z.array(SnapshotSchema),
  },
  'runs.logs': { args: byId, result: z.array(LogLineSchema) },
  /** SGAS edge decisions, SGAS-es early stops and λ_max per epoch (empty for strategies without them). */
  'runs.searchHistory': {
    args: byId,
    result: z.object({ decisions: z.array(DecisionSchema), earlyStops: z.array(EarlyStopSchema), eigenvalues: z.array(EigenvalueSchema) }),
  },
  'datasets.list': { args: none, result: z.array(DatasetSchema) },
  'datasets.import': {
    args: z
      .object({
        name: z.string().trim().min(1).max(100),
        trainImages: z.string().min(1),
        trainLabels: z.string().min(1),
        testImages: z.string().optional(),
        testLabels: z.string().optional(),
      })
      .strict(),
    result: DatasetImportResultSchema,
  },
  /** Imports the built-in demo set, or Debian's Fashion-MNIST when it is installed. */
  'datasets.importBuiltin': {
    args: z.object({ which: z.enum(['demo', 'fashion-mnist']) }).strict(),
    result: DatasetImportResultSchema,
  },
  'datasets.available': {
    args: none,
    result: z.array(z.object({ which: z.enum(['demo', 'fashion-mnist']), label: z.string(), present: z.boolean() })),
  },
  'datasets.samples': {
    args: z.object({ id, perClass: z.number().int().min(1).max(10).default(3) }).strict(),
    /** Row-major uint8 pixels, base64, one per sample. */
    result: z.array(z.object({ label: z.number().int(), width: z.number(), height: z.number(), pixels: z.string() })),
  },
  'datasets.delete': { args: byId, result: ok },
  'benchmarks.info': { args: none, result: BenchmarkInfoSchema },
  /** Validates a NAS-Bench-201 table export in full, then makes a copy of it the active table. */
  'benchmarks.import': { args: z.object({ path: z.string().trim().min(1).max(4096) }).strict(), result: BenchmarkInfoSchema },
  /** Back to the built-in table. */
  'benchmarks.reset': { args: none, result: BenchmarkInfoSchema },
} as const;

export type ChannelMap = typeof channels;
export type Channel = keyof ChannelMap;
export type ArgsOf<K extends Channel> = z.input<ChannelMap[K]['args']>;
export type ResultOf<K extends Channel> = z.output<ChannelMap[K]['result']>;


/** Events pushed from main to every subscribed window. */
export const PushEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('storage.status'), status: StorageStatusSchema }),
  z.object({ type: z.literal('run.event'), runId: id, event: TrainerEventSchema }),
  z.object({ type: z.literal('run.updated'), run: RunSummarySchema }),
  z.object({ type: z.literal('run.deleted'), runId: id }),
]);
export type PushEvent = z.infer<typeof PushEventSchema>;

/** The one interface the renderer talks to, implemented by the preload bridge and by the HTTP client. */
export interface NasApi {
  invoke<K extends Channel>(channel: K, args: ArgsOf<K>): Promise<ResultOf<K>>;
  /** Returns an unsubscribe function. */
  subscribe(listener: (event: PushEvent) => void): () => void;
}

/** Errors crossing the boundary carry a user-facing message (and an optional hint). */
export interface ApiErrorBody {
  error: string;
  hint?: string;
}
