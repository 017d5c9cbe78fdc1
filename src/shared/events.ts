import { z } from 'zod';

// Messages the trainer process streams to main; main persists them and forwards them to windows.
export const RUN_STATUSES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const EnvironmentSchema = z.object({
  appVersion: z.string(),
  backend: z.string(),
  device: z.string(),
  fallbackReason: z.string().nullable(),
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
});
export type Nb201Score = z.infer<typeof Nb201ScoreSchema>;

const num = z.number();
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
  }),
  z.object({ type: z.literal('error'), message: z.string(), hint: z.string().nullable() }),
]);
export type TrainerEvent = z.infer<typeof TrainerEventSchema>;

/** Alpha snapshot payload: per cell type, rows = edges, columns = ops, values = softmax(α). */
export interface AlphaSnapshot {
  ops: string[];
  cells: Record<string, number[][]>;
}
