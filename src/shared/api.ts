import { z } from 'zod';
import { BACKEND_NAMES, BackendVerdictSchema, type BackendName } from './backends';
import { SearchConfigSchema } from './config';
import { RetrainOverridesSchema } from './strategies/retrain';
import { InstanasResultSchema } from './instanas';
import { DispatchStatusSchema, RunAttemptSchema, WhereSchema, WorkerInfoSchema } from './dispatch';
import { DecisionSchema, EarlyStopSchema, EigenvalueSchema, EnvironmentSchema, EvaluationSchema, Nb201ScoreSchema, RUN_STATUSES, SearchSummarySchema, TrainerEventSchema } from './events';

// The contract between the renderer and main: every request (channel → args/result schemas) and every
// pushed event. Both transports (Electron IPC and the headless HTTP/SSE server) validate args with these
// schemas before a handler runs; the renderer's client uses the same types.

const id = z.number().int().positive();

/** A dry run is a search on the NAS-Bench-201 table instead of a dataset (config.estimation 'nb201-table'). */
export const RUN_KINDS = ['search', 'retrain', 'evaluate', 'dry-run'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/**
 * What a run's headline accuracy measures; values of different measures are never comparable (a DARTS-space
 * supernet's search-time 5% beside a table's 47%): search-val, the supernet's validation accuracy during the
 * search; table, the NAS-Bench-201 table accuracy a dry run used; retrain-val, a retrain's validation accuracy
 * while training; test, a finished retrain's test accuracy.
 */
export const ACCURACY_MEASURES = ['search-val', 'table', 'retrain-val', 'test'] as const;
export type AccuracyMeasure = (typeof ACCURACY_MEASURES)[number];

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
  /** Lineage: the search a retrain was launched from. */
  parentId: z.number().int().nullable(),
  /** Runs launched together with the same config and different seeds share a group id. */
  groupId: z.number().int().nullable(),
  tags: z.array(z.string()),
  note: z.string().nullable(),
  /** Planned training epochs (null for a dry run, which trains nothing). */
  epochs: z.number().int().nullable(),
  /** The backend the run used (the configured one until the trainer reports the actual one); null for a dry run. */
  backend: z.string().nullable(),
  /** The found cell's NAS-Bench-201 CIFAR-10 test accuracy in % (table units) and rank (1 = best); null outside the table. */
  nb201Accuracy: z.number().nullable(),
  nb201Rank: z.number().int().nullable(),
  /** A retrain's test accuracy (0..1), null until it finished. */
  testAccuracy: z.number().nullable(),
  /** The run's headline accuracy (0..1) and what it measures; compare values of one measure only. */
  accuracy: z.number().nullable(),
  accuracyMeasure: z.enum(ACCURACY_MEASURES),
  /** Where it was sent: 'local', 'any' (the first free worker) or a worker's name (shared/dispatch.ts Where). */
  where: z.string(),
  /** The worker that trains or trained it (its latest attempt's); null for a run on this machine. */
  ranOn: z.string().nullable(),
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
  /** A retrain's evaluation (test accuracy, parameters, FLOPs, latency, export folder); null otherwise. */
  evaluation: EvaluationSchema.nullable(),
  /** An InstaNAS run's result (latency table, policies on the test set, baseline, variants A–E); null otherwise. */
  instanas: InstanasResultSchema.nullable(),
  /** Lineage the other way: runs launched from this one (retrains of a search). */
  children: z.array(z.object({ id, kind: z.enum(RUN_KINDS), name: z.string(), status: z.enum(RUN_STATUSES) })),
  /** Its dispatches to workers, oldest first (attempt 2 resumed on another worker after the first was lost); empty for a local run. */
  attempts: z.array(RunAttemptSchema),
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

/** Where an SPD set's matrices came from, and how it was split (absent for image sets). */
export const SpdDatasetInfoSchema = z.object({
  /** Matrix files, feature sequences turned into covariance descriptors, or generated by the app. */
  source: z.enum(['matrices', 'sequences', 'synthetic']),
  /** File formats met in the folder ('npy', 'csv'); empty for a generated set. */
  formats: z.array(z.string()),
  /** The person's train/ and test/ folders, one in five per class held out, or generated so. */
  split: z.enum(['folders', 'held-out', 'generated']),
  /** Features per time step of the sequences (= the matrix size). */
  features: z.number().int().optional(),
  classNames: z.array(z.string()),
  /** Where a generated set comes from, said wherever it is shown. */
  credit: z.string().optional(),
});
export type SpdDatasetInfo = z.infer<typeof SpdDatasetInfoSchema>;

export const DatasetSchema = z.object({
  id,
  name: z.string(),
  /** Images (IDX) or SPD matrices (shape [n, n]). */
  kind: z.enum(['images', 'spd']),
  format: z.string(),
  location: z.string(),
  shape: z.array(z.number().int()), // [H, W, C] for images, [n, n] for SPD matrices
  classes: z.number().int(),
  trainCount: z.number().int(),
  testCount: z.number().int(),
  classCounts: z.array(z.number().int()),
  checksum: z.string(),
  createdAt: z.number(),
  /** Names of the classes in label order, where the set is known (e.g. Fashion-MNIST); absent otherwise. */
  classNames: z.array(z.string()).optional(),
  spd: SpdDatasetInfoSchema.optional(),
});
export type Dataset = z.infer<typeof DatasetSchema>;

export const BuiltinDatasetSchema = z.enum(['demo', 'fashion-mnist', 'spd-synthetic']);
export type BuiltinDataset = z.infer<typeof BuiltinDatasetSchema>;

/** One SPD training matrix: row-major values and its eigenvalues, ascending. */
export const SpdSampleSchema = z.object({ label: z.number().int(), size: z.number().int(), values: z.array(z.number()), eigenvalues: z.array(z.number()) });
export type SpdSample = z.infer<typeof SpdSampleSchema>;

/** An import's answer: the dataset, and whether it was already in the list (same files, same checksum). */
export const DatasetImportResultSchema = DatasetSchema.extend({ alreadyImported: z.boolean() });

export const RUN_SORT_KEYS = [
  'id', 'createdAt', 'status', 'name', 'strategy', 'space', 'dataset', 'seed', 'epochs', 'backend',
  'bestAccuracy', 'nb201Accuracy', 'nb201Rank', 'duration', 'where',
] as const;
export type RunSortKey = (typeof RUN_SORT_KEYS)[number];

/** Which runs: every given filter must hold. The search is a case-insensitive substring of name, strategy, space, dataset, tags or note. */
export const RunFilterSchema = z.object({
  status: z.enum(RUN_STATUSES).optional(),
  kind: z.enum(RUN_KINDS).optional(),
  strategy: z.string().max(100).optional(),
  space: z.string().max(100).optional(),
  dataset: z.string().max(200).optional(),
  tag: z.string().max(100).optional(),
  groupId: z.number().int().optional(),
  search: z.string().max(200).optional(),
});
export type RunFilter = z.infer<typeof RunFilterSchema>;

/** Most rows one runs.list answer carries: a long history is read page by page, never in one response. */
export const RUN_PAGE_MAX = 1000;

export const RunListQuerySchema = RunFilterSchema.extend({
  /** bestAccuracy sorts by what the accuracy measures first, then by value: different measures never interleave. */
  sort: z.enum(RUN_SORT_KEYS).optional(),
  direction: z.enum(['asc', 'desc']).optional(),
  offset: z.number().int().min(0).optional(),
  /** Default and most: RUN_PAGE_MAX. */
  limit: z.number().int().min(1).max(RUN_PAGE_MAX).optional(),
}).strict();
export type RunListQuery = z.infer<typeof RunListQuerySchema>;

const facet = z.array(z.object({ value: z.string(), count: z.number().int() }));
/** Counts for the list's header and filter menus: everything, what the filter matches, values per column. */
export const RunFacetsSchema = z.object({
  total: z.number().int(),
  matching: z.number().int(),
  statuses: facet,
  kinds: facet,
  strategies: facet,
  spaces: facet,
  datasets: facet,
  tags: facet,
});
export type RunFacets = z.infer<typeof RunFacetsSchema>;

/** A tag: trimmed, 1–40 characters, no commas (the CSV export joins tags with ';'). */
export const TagSchema = z.string().trim().min(1).max(40).regex(/^[^,;\n]+$/, 'a tag cannot contain a comma, a semicolon or a line break');

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

/** One run of a comparison (runs.compare): what the Compare view draws, read in one request. */
export const ComparedRunSchema = z.object({
  detail: RunDetailSchema,
  /**
   * Per requested metric (all when the request names none) [step, epoch, value] by step; a long series keeps
   * each bucket's min and max point.
   */
  series: MetricSeriesSchema,
  /** Every metric the run has, with its last point [step, epoch, value]: the table and the metric menu. */
  last: z.record(z.string(), z.tuple([z.number(), z.number(), z.number()])),
  /** The latest α ('alpha') or probability ('probabilities') snapshot, and the epoch each edge settled. */
  architecture: z
    .object({
      kind: z.string(),
      epoch: z.number(),
      ops: z.array(z.string()),
      cells: z.record(z.string(), z.array(z.array(z.number()))),
      /** Per cell type and edge: the first epoch from which its leading op never changed again; null = not yet. */
      settledEpoch: z.record(z.string(), z.array(z.number().nullable())),
      snapshots: z.number().int(),
    })
    .nullable(),
});
export type ComparedRun = z.infer<typeof ComparedRunSchema>;

const none = z.object({}).strict();
const byId = z.object({ id }).strict();
const ok = z.object({ ok: z.literal(true) });

/** The New-run pre-flight's measured estimate of one config (runs.estimate): a short probe in a trainer process. */
export const RunEstimateSchema = z.object({
  /** The backend the run would train on (what `auto` resolves to, or the form's choice). */
  backend: z.enum(BACKEND_NAMES as unknown as [BackendName, ...BackendName[]]),
  device: z.string().nullable(),
  /** Why this backend, in one sentence. */
  why: z.string(),
  /** Median time of one search step (a weight step and an α step) at the run's batch; null when not timed. */
  stepMs: z.number().nullable(),
  /** The threads that step was timed on: the run's own, or 1 where the probe could not train on threads. */
  stepThreads: z.number().int().min(1).default(1),
  /** Training threads the run would use (its setting, 'auto' resolved on this machine now); 1 where it cannot use more. */
  threads: z.number().int().min(1).default(1),
  /** Why it trains on fewer threads than asked or than the machine has (the strategy, a GPU backend, a busy machine, a small batch); null when nothing is given up. */
  threadsReason: z.string().nullable().default(null),
  stepsPerEpoch: z.number().int().nullable(),
  epochSeconds: z.number().nullable(),
  /** Weights of the supernet (estimated for a supernet too big to build). */
  params: z.number().nullable(),
  memory: z
    .object({
      /** One thread's peak (its replica and the largest shard of the batch), compared with `limitBytes`. */
      estimateBytes: z.number(),
      /** Every thread's peak together: what the process holds. */
      totalBytes: z.number(),
      threads: z.number().int().min(1),
      /** One thread's heap limit (wasm: 4 GB per thread). */
      limitBytes: z.number().nullable(),
      fits: z.boolean().nullable(),
      /** The largest batch estimated to fit at this C and N; 0 when none does; null when the limit is unknown. */
      largestBatchThatFits: z.number().int().nullable(),
      /** Whether memory saving (gradient checkpointing) would be on. */
      recompute: z.boolean(),
      /** When no batch fits at this C and N: the largest C that fits at the run's batch and at batch 16 (empty: only fewer cells N help). */
      narrowerFits: z.array(z.object({ batchSize: z.number().int(), channels: z.number().int(), estimateBytes: z.number() })).default([]),
    })
    .nullable(),
  /** Why there is no estimate (the backend does not load, …), with what to do. */
  problem: z.object({ message: z.string(), hint: z.string().nullable() }).nullable(),
  /** A newer request replaced this one before it was measured: nothing to show. */
  superseded: z.boolean().optional(),
});
export type RunEstimate = z.infer<typeof RunEstimateSchema>;

export const channels = {
  'app.info': {
    args: none,
    result: z.object({
      version: z.string(),
      dataDir: z.string(),
      mode: z.enum(['electron', 'headless']),
      interruptedRuns: z.array(id),
      /** Logical CPU cores of the machine the server runs on (the New-run form's Threads choices). */
      cores: z.number().int().min(1),
      /** The data folder's disk now (later changes arrive as storage.status push events). */
      storage: StorageStatusSchema,
    }),
  },
  /** Every engine backend on this machine and what `auto` picks (the cached probe verdict; probe: true measures again). */
  'system.backends': { args: z.object({ probe: z.boolean().optional() }).strict(), result: BackendVerdictSchema },
  /** Pre-flight of a config: backend, measured time per epoch, memory estimate against the backend's limit. */
  'runs.estimate': { args: z.object({ config: SearchConfigSchema }).strict(), result: RunEstimateSchema },
  /** One page (offset, limit ≤ RUN_PAGE_MAX) of the filtered, sorted list. */
  'runs.list': { args: RunListQuerySchema, result: z.array(RunSummarySchema) },
  'runs.facets': { args: RunFilterSchema.strict(), result: RunFacetsSchema },
  'runs.setTags': { args: z.object({ id, tags: z.array(TagSchema).max(20) }).strict(), result: RunSummarySchema },
  /** An empty note removes it. */
  'runs.setNote': { args: z.object({ id, note: z.string().max(10_000) }).strict(), result: RunSummarySchema },
  /** The same config once per seed, the runs sharing a new group id. */
  'runs.createGroup': {
    args: z
      .object({
        config: SearchConfigSchema,
        where: WhereSchema.optional(),
        seeds: z
          .array(z.number().int().min(0).max(2 ** 31 - 1))
          .min(2)
          .max(20)
          .refine((s) => new Set(s).size === s.length, 'each seed once'),
      })
      .strict(),
    result: z.object({ groupId: z.number().int(), ids: z.array(id) }),
  },
  /** The whole filtered, sorted list (not one page) as CSV or JSON text, for a download. */
  'runs.exportList': {
    args: RunListQuerySchema.omit({ offset: true, limit: true }).extend({ format: z.enum(['csv', 'json']) }).strict(),
    result: z.object({ filename: z.string(), mimeType: z.string(), content: z.string(), rows: z.number().int() }),
  },
  'runs.get': { args: byId, result: RunDetailSchema },
  /** `where`: this machine ('local', the default), any worker of the lab ('any') or a worker's name. */
  'runs.create': { args: z.object({ config: SearchConfigSchema, where: WhereSchema.optional() }).strict(), result: z.object({ id }) },
  /** A queued retrain of a finished search's architecture, linked to it (parentId); 409 while it has none. */
  'runs.retrain': { args: z.object({ id, overrides: RetrainOverridesSchema.optional() }).strict(), result: z.object({ id }) },
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
  /** 2–10 runs side by side: details, min/max-bucketed curves, latest α/probabilities with settled epochs. */
  'runs.compare': {
    args: z
      .object({
        ids: z.array(id).min(1).max(10),
        metrics: z.array(z.string().max(100)).max(50).optional(),
        points: z.number().int().min(10).max(5000).optional(),
      })
      .strict(),
    result: z.object({ runs: z.array(ComparedRunSchema) }),
  },
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
  /** Imports a folder of SPD data: class sub-folders of matrices (.npy/.csv) or of feature sequences (features × time). */
  'datasets.importSpd': {
    args: z
      .object({
        name: z.string().trim().min(1).max(100),
        folder: z.string().trim().min(1).max(4096),
        source: z.enum(['matrices', 'sequences']).default('matrices'),
      })
      .strict(),
    result: DatasetImportResultSchema,
  },
  /** Imports the built-in demo set, Debian's Fashion-MNIST when it is installed, or the generated SPD set. */
  'datasets.importBuiltin': {
    args: z.object({ which: BuiltinDatasetSchema }).strict(),
    result: DatasetImportResultSchema,
  },
  'datasets.available': {
    args: none,
    result: z.array(z.object({ which: BuiltinDatasetSchema, label: z.string(), present: z.boolean() })),
  },
  'datasets.samples': {
    args: z.object({ id, perClass: z.number().int().min(1).max(10).default(3) }).strict(),
    /** Row-major uint8 pixels, base64, one per sample. */
    result: z.array(z.object({ label: z.number().int(), width: z.number(), height: z.number(), pixels: z.string() })),
  },
  /** Images picked by index in one split (≤ 64), e.g. the test instances an InstaNAS path took; pixels as in samples. */
  'datasets.images': {
    args: z.object({ id, split: z.enum(['train', 'test']), indices: z.array(z.number().int().min(0)).min(1).max(64) }).strict(),
    result: z.array(z.object({ index: z.number().int(), label: z.number().int(), width: z.number(), height: z.number(), pixels: z.string() })),
  },
  /** A few matrices per class of an SPD set (the first classes when there are many), with their eigenvalues. */
  'datasets.spdSamples': {
    args: z.object({ id, perClass: z.number().int().min(1).max(5).default(2) }).strict(),
    result: z.array(SpdSampleSchema),
  },
  'datasets.delete': { args: byId, result: ok },
  'benchmarks.info': { args: none, result: BenchmarkInfoSchema },
  /** Validates a NAS-Bench-201 table export in full, then makes a copy of it the active table. */
  'benchmarks.import': { args: z.object({ path: z.string().trim().min(1).max(4096) }).strict(), result: BenchmarkInfoSchema },
  /** Back to the built-in table. */
  'benchmarks.reset': { args: none, result: BenchmarkInfoSchema },
  /** Writes one run (records, latest checkpoint, exported files; checksummed) to a .nasrun bundle file on this
   * machine; without `path`, into <data folder>/exports/. Refused while the run is queued or running. */
  'runs.exportBundle': {
    args: z.object({ id, path: z.string().trim().min(1).max(4096).optional() }).strict(),
    result: z.object({ path: z.string(), bytes: z.number().int(), sha256: z.string(), members: z.number().int() }),
  },
  /** Writes one variant (A–E) of a completed InstaNAS run into <data folder>/exports/: its description and weights. */
  'runs.exportVariant': {
    args: z.object({ id, label: z.string().trim().min(1).max(8) }).strict(),
    result: z.object({ label: z.string(), path: z.string(), model: z.string(), weights: z.string(), values: z.number().int() }),
  },
  /** Checks a .nasrun bundle in full, then adds its run to this history under a new number (all or nothing). */
  'runs.importBundle': {
    args: z.object({ path: z.string().trim().min(1).max(4096) }).strict(),
    result: z.object({ id, name: z.string(), originalId: id, exportedBy: z.string(), missingDataset: z.string().nullable() }),
  },
  /** This app's part in a lab (standalone, coordinator or worker), its join code and the workers it sees. */
  'dispatch.status': { args: none, result: DispatchStatusSchema },
  /** "Let other machines help": start Redis here (or use `redis`, redis://HOST:PORT) and coordinate workers. */
  'dispatch.startCoordinator': { args: z.object({ redis: z.string().trim().min(1).max(500).optional() }).strict(), result: DispatchStatusSchema },
  /** Back to standalone: stop coordinating, or stop working for a lab. Runs already on workers keep their rows. */
  'dispatch.stop': { args: none, result: DispatchStatusSchema },
  /** "Join a lab": this machine trains runs from the coordinator whose join code is pasted, under `name`. */
  'dispatch.join': {
    args: z.object({ code: z.string().trim().min(1).max(4000), name: z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'a worker name: letters, digits, dot, dash, underscore') }).strict(),
    result: DispatchStatusSchema,
  },
  /** Revokes a worker of the lab this app coordinates: its Redis user is switched off, so it stops at once and
   * its join code stops working; its run moves to another worker. */
  'dispatch.revokeWorker': { args: z.object({ name: z.string().trim().min(1).max(64) }).strict(), result: DispatchStatusSchema },
  /** The coordinator's workers with their state, capabilities, current run and last sign of life. */
  'workers.list': { args: none, result: z.array(WorkerInfoSchema) },
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
