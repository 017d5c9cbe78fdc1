import { z } from 'zod';

// What an InstaNAS run (ALGORITHMS.md §6) reports with its result: the latency table measured on this
// machine, the per-instance policies on the test set, the MobileNetV2-like baseline trained under the same
// budget, and the phase-2 checkpoints (variants A–E) a user picks from on the accuracy–latency curve.
// Latencies are milliseconds on the run's backend at batch 1.

const num = z.number();

export const MobilenetBlockSchema = z.object({
  index: z.number().int(),
  stage: z.number().int(),
  /** First block of its stage: the shape changes here, so an empty policy falls back to op 4 (basic block). */
  stageFirst: z.boolean(),
  inChannels: z.number().int(),
  outChannels: z.number().int(),
  stride: z.number().int(),
  /** Spatial size of the block's input (square). */
  inputSize: z.number().int(),
});
export type MobilenetBlock = z.infer<typeof MobilenetBlockSchema>;

export const InstanasLatencySchema = z.object({
  unit: z.literal('ms'),
  backend: z.string(),
  device: z.string(),
  blocks: z.array(MobilenetBlockSchema),
  /** Column labels of `table`, e.g. "IR k3 e6". */
  ops: z.array(z.string()),
  /** [block][op]: median of timed runs (round-robin over the table, after warm-up rounds), batch 1. */
  table: z.array(z.array(num)),
  /** Σ_t lat[t][0]: the MobileNetV2-like policy (op 0 everywhere). */
  baseline: num,
  /** Σ of every op: all ops on. */
  allOps: num,
  /** Σ over stage-first blocks of lat[t][4]: the cheapest policy (nothing enabled). */
  min: num,
});
export type InstanasLatency = z.infer<typeof InstanasLatencySchema>;

export const InstanasVariantSchema = z.object({
  /** 'A' (most accurate) … 'E' (fastest), as in the paper. */
  label: z.string(),
  epoch: z.number().int(),
  valAccuracy: num,
  testAccuracy: num.nullable(),
  meanLatency: num,
  stdLatency: num,
  distinct: z.number().int(),
  /** The variant's weights (meta-graph + controller), relative to the run's folder. */
  checkpoint: z.string(),
});
export type InstanasVariant = z.infer<typeof InstanasVariantSchema>;

export const InstanasPathSchema = z.object({
  /** The policy as blocks×ops bits, row-major, e.g. "10000 01000 …" without spaces. */
  policy: z.string(),
  latency: num,
  count: z.number().int(),
  accuracy: num,
  /** Test-split indices of a few instances that took this path (for the gallery). */
  samples: z.array(z.number().int()),
});
export type InstanasPath = z.infer<typeof InstanasPathSchema>;

export const InstanasResultSchema = z.object({
  latency: InstanasLatencySchema,
  policy: z.object({
    /** Looked-up latency of each test instance's policy. */
    meanLatency: num,
    stdLatency: num,
    /** Measured by running each instance's sub-network at batch 1 (null when not measured). */
    measuredMean: num.nullable(),
    measuredStd: num.nullable(),
    distinct: z.number().int(),
    /** Fraction of ops enabled, over blocks, ops and instances. */
    density: num,
  }),
  testAccuracy: num,
  baselineModel: z.object({
    testAccuracy: num,
    latency: num,
    measuredLatency: num.nullable(),
    epochs: z.number().int(),
  }),
  variants: z.array(InstanasVariantSchema),
  /** [block][op]: fraction of test instances whose policy enables the op. */
  usage: z.array(z.array(num)),
  /** Per-instance looked-up latency on the test set. */
  latencyHistogram: z.object({ edges: z.array(num), counts: z.array(z.number().int()) }),
  /** The most used paths, cheapest first. */
  paths: z.array(InstanasPathSchema),
});
export type InstanasResult = z.infer<typeof InstanasResultSchema>;

/** Per-epoch metric names an InstaNAS run streams (besides the usual train/val ones). */
export const INSTANAS_METRICS = {
  /** Phase 1: the per-sample keep-probability of each op. */
  keepProb: 'keep_prob',
  /** Phase 2, controller pass: mean reward of sampled policies, and of greedy ones. */
  reward: 'reward',
  greedyReward: 'greedy_reward',
  /** Accuracy of the meta-graph under the greedy policies (controller pass). */
  policyAccuracy: 'policy_acc',
  /** Mean and std of the greedy policies' looked-up latency (ms). */
  meanLatency: 'mean_latency',
  stdLatency: 'std_latency',
  /** The latency window [lb, ub] of the reward (ms). */
  windowLow: 'latency_lb',
  windowHigh: 'latency_ub',
  distinctPolicies: 'distinct_policies',
  /** Mean entropy of the bounded Bernoulli probabilities. */
  entropy: 'policy_entropy',
} as const;

/** Payload of the 'policy' snapshot an InstaNAS run emits each phase-2 epoch (greedy policies on validation). */
export interface PolicySnapshot {
  ops: string[];
  /** [block][op]: fraction of validation instances whose greedy policy enables the op. */
  usage: number[][];
  meanLatency: number;
  distinct: number;
}
