import { z } from 'zod';
import { GpuAdapterSchema } from './backends';
import { InstanasResultSchema } from './instanas';

// Messages the trainer process streams to main; main persists them and forwards them to windows.
export const RUN_STATUSES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const EnvironmentSchema = z.object({
  appVersion: z.string(),
  backend: z.string(),
  device: z.string(),
  fallbackReason: z.string().nullable(),
  /** The GPU adapter of a webgpu run (vendor, architecture, driver, fallback or not). */
  adapter: GpuAdapterSchema.nullable().optional(),
  /** Training threads (data-parallel replicas, nas/parallel); absent on runs recorded before threads existed. */
  threads: z.number().int().min(1).optional(),
});
export type RunEnvironment = z.infer<typeof EnvironmentSchema>;

export const Nb201ScoreSchema = z.object({
  arch: z.string(),
  index: z.number().int(),
  cifar10: z.number(),
  cifar100: z.number(),
  imagenet16: z.number(),
  /** 1 = best of the 15,625 cells by CIFAR-10 test accuracy. */
  rank: z.number().int(),
  percentile: z.number(),
  gapToOptimum: z.number(),
  /** Canonical form: the arch string every isomorphic spelling of this computation maps to. */
  canonical: z.string().optional(),
  /** How many of the 15,625 arch strings denote this same computation (1 = only this one). */
  isomorphs: z.number().int().optional(),
  /** Rank, percentile and gap on CIFAR-100 and ImageNet16-120 (CIFAR-10's are the fields above). */
  byMetric: z
    .record(z.string(), z.object({ rank: z.number().int(), percentile: z.number(), gapToOptimum: z.number(), best: z.number() }))
    .optional(),
  /** Validation accuracies where the table has them (a user's export; the shipped table has test only). */
  valid: z.object({ cifar10: z.number().nullable(), cifar100: z.number().nullable(), imagenet16: z.number().nullable() }).optional(),
});
export type Nb201Score = z.infer<typeof Nb201ScoreSchema>;

const num = z.number();

/**
 * What a sampling strategy reports beyond the architecture: a dry run's budget and the signal its decisions
 * used, and how many distinct architectures (up to isomorphism) it evaluated.
 */
export const SearchSummarySchema = z.object({
  /** Architectures evaluated (table queries in a dry run, candidates ranked with shared weights otherwise). */
  evaluations: num,
  /** Distinct computations among them (NAS-Bench-201 canonical forms; distinct genotypes elsewhere). */
  distinctArchitectures: num.nullable(),
  /** The accuracy the search's decisions used: e.g. "cifar10_valid", "cifar10_test", or in words for a supernet. */
  signal: z.string(),
  /** Said to the user with the result, e.g. that only test accuracies were available. */
  notes: z.array(z.string()),
});
export type SearchSummary = z.infer<typeof SearchSummarySchema>;

/** What a retrain (a stand-alone network trained from scratch) measured: stored with the run. */
export const EvaluationSchema = z.object({
  /** Accuracy on the dataset's test split, 0..1. */
  testAccuracy: num,
  /** Trainable parameters of the stand-alone network (the auxiliary head excluded). */
  params: num,
  /** Multiply-accumulate operations for one image. */
  flops: num,
  /** Median inference latency of one image (batch 1, after warm-up) on `latencyBackend`, in milliseconds. */
  latencyMs: num.nullable(),
  latencyBackend: z.string().nullable(),
  /** Where the trained model was exported (TF.js format), if it was. */
  exportDir: z.string().nullable(),
});
export type Evaluation = z.infer<typeof EvaluationSchema>;

/** Logical epochs repeat after an SGAS-es rollback; wall epochs count every epoch trained. */
export const DecisionSchema = z.object({
  epoch: num,
  wallEpoch: num,
  cellType: z.string(),
  /** The edge's α row and a readable name ("node 2 ← s1", "1→3"). */
  edge: num,
  edgeLabel: z.string(),
  op: z.string(),
  /** Edges pruned by the in-degree rule as a consequence (DARTS space). */
  pruned: z.array(num),
  /** Per-edge scores of every candidate at decision time (NaN-free; decided edges are null). */
  scores: z.object({
    importance: z.array(num),
    certainty: z.array(num),
    stability: z.array(num).nullable(),
    score: z.array(num.nullable()),
  }),
  reason: z.enum(['schedule', 'early-stop', 'phase-limit']),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const EigenvalueSchema = z.object({
  epoch: num,
  wallEpoch: num,
  lambdaMax: num,
  /** The phase's local moving average appended at this epoch (attributed to `epoch − ⌊w/2⌋`), if any. */
  localAverage: num.nullable(),
  iterations: num,
});
export type Eigenvalue = z.infer<typeof EigenvalueSchema>;

export const EarlyStopSchema = z.object({
  /** Logical epoch at which the stop test fired. */
  epoch: num,
  wallEpoch: num,
  rollbackTo: num,
  reason: z.enum(['eigenvalue', 'phase-limit']),
  /** LA[last] / LA[last − δ] when the eigenvalue rule fired. */
  ratio: num.nullable(),
});
export type EarlyStop = z.infer<typeof EarlyStopSchema>;

export const CollapseSchema = z.object({
  epoch: num,
  wallEpoch: num,
  /** Share of skip_connect among the current cell's chosen ops (0..1). */
  skipShare: num,
  /** Mean normalised entropy of α rows (1 = uniform, 0 = one-hot). */
  entropy: num,
  lambdaMax: num.nullable(),
  /** Why this is a warning, in words. */
  message: z.string(),
});
export type Collapse = z.infer<typeof CollapseSchema>;

export const TrainerEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('environment'), environment: EnvironmentSchema }),
  z.object({ type: z.literal('log'), level: z.enum(['info', 'warn', 'error']), message: z.string() }),
  z.object({
    type: z.literal('progress'),
    epoch: num,
    epochs: num,
    step: num,
    stepsPerEpoch: num,
  }),
  /** Time-series points; `step` is the global step (epoch-level points use the step at the epoch's end). */
  z.object({ type: z.literal('metrics'), step: num, epoch: num, values: z.record(z.string(), num) }),
  z.object({
    type: z.literal('snapshot'),
    epoch: num,
    kind: z.enum(['alpha', 'probabilities', 'genotype', 'policy']),
    payload: z.unknown(),
  }),
  z.object({
    type: z.literal('checkpoint'),
    epoch: num,
    path: z.string(),
    size: num,
    checksum: z.string(),
  }),
  z.object({
    type: z.literal('result'),
    genotype: z.unknown(),
    arch: z.string().nullable(),
    nb201: Nb201ScoreSchema.nullable(),
    trainAccuracy: num,
    valAccuracy: num,
    seconds: num,
    summary: SearchSummarySchema.optional(),
    /** A retrain's measurements (kind 'retrain'). */
    evaluation: EvaluationSchema.optional(),
    /** An InstaNAS search's latency table, per-instance policy figures, baseline and variants. */
    instanas: InstanasResultSchema.optional(),
  }),
  z.object({ type: z.literal('error'), message: z.string(), hint: z.string().nullable() }),
  /** SGAS: one edge of one cell type fixed (or an early stop / rollback, ALGORITHMS.md §3–4). */
  z.object({ type: z.literal('decision'), decision: DecisionSchema }),
  /** λ_max of the validation-loss Hessian w.r.t. the undecided α (§4.1), with the phase's local average. */
  z.object({ type: z.literal('eigenvalue'), eigenvalue: EigenvalueSchema }),
  /** SGAS-es: a phase ended by the stop rule or the phase limit, rolled back to `rollbackTo`. */
  z.object({ type: z.literal('early-stop'), earlyStop: EarlyStopSchema }),
  /** A collapse signal of a one-shot search (λ_max rising, skip connections taking over, α entropy). */
  z.object({ type: z.literal('collapse'), collapse: CollapseSchema }),
]);
export type TrainerEvent = z.infer<typeof TrainerEventSchema>;

/** Alpha snapshot payload: per cell type, rows = edges, columns = ops, values = softmax(α). */
export interface AlphaSnapshot {
  ops: string[];
  cells: Record<string, number[][]>;
}
