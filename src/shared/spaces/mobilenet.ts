import { z } from 'zod';
import type { MobilenetBlock } from '../instanas';

// InstaNAS's MobileNetV2-style meta-graph (ALGORITHMS.md §1.3): 17 blocks in 7 stages, 5 candidate ops per
// block, each on or off per instance. Pure data and arithmetic here (the layout, a policy's looked-up latency),
// so the UI, the CLI and the trainer agree on them.

export const MOBILENET_OPS = ['ir_k3_e6', 'ir_k3_e3', 'ir_k5_e6', 'ir_k5_e3', 'basic_block'] as const;
export type MobilenetOp = (typeof MOBILENET_OPS)[number];
/** Column labels of the latency table and the usage heat map. */
export const MOBILENET_OP_LABELS = ['IR k3 e6', 'IR k3 e3', 'IR k5 e6', 'IR k5 e3', 'Basic block'] as const;
/** The op a stage-first block falls back to when a policy enables none of its ops. */
export const FALLBACK_OP = 4;

export type MobilenetOpSpec = { kind: 'ir'; kernel: number; expansion: number } | { kind: 'basic' };
export const MOBILENET_OP_SPECS: readonly MobilenetOpSpec[] = [
  { kind: 'ir', kernel: 3, expansion: 6 },
  { kind: 'ir', kernel: 3, expansion: 3 },
  { kind: 'ir', kernel: 5, expansion: 6 },
  { kind: 'ir', kernel: 5, expansion: 3 },
  { kind: 'basic' },
];

/** (expansion t, out channels c, repeats n, stride s); CIFAR: stage 2 has stride 1. t is unused by the candidates. */
export const MOBILENET_STAGES: ReadonlyArray<readonly [t: number, c: number, n: number, s: number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 1],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];
export const MOBILENET_MAX_BLOCKS = MOBILENET_STAGES.reduce((n, [, , r]) => n + r, 0);
export const MOBILENET_MIN_BLOCKS = MOBILENET_STAGES.length;
const STEM_CHANNELS = 32;
const HEAD_CHANNELS = 1280;

export const MobilenetSpaceSchema = z
  .object({
    name: z.literal('mobilenet'),
    widthMult: z.number().min(0.1).max(2).default(1).describe('Width multiplier of every layer (channels rounded to multiples of 8, as in MobileNetV2).'),
    blocks: z
      .number()
      .int()
      .min(MOBILENET_MIN_BLOCKS)
      .max(MOBILENET_MAX_BLOCKS)
      .default(MOBILENET_MAX_BLOCKS)
      .describe('Blocks of the meta-graph (7–17): every stage keeps its first block; repeats are added stage by stage in turns.'),
  })
  .strict();
export type MobilenetSpace = z.output<typeof MobilenetSpaceSchema>;

/** MobileNetV2's channel rounding: the nearest multiple of 8, at least 8, never more than 10% below v. */
export function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

/**
 * How many blocks each stage keeps for a block count: one per stage (its first, where the shape changes), then
 * the repeats in turns — every stage's second block, then every third, … — so depth shrinks evenly and the
 * stride pattern stays that of the full meta-graph.
 */
export function blocksPerStage(blocks: number): number[] {
  if (!Number.isInteger(blocks) || blocks < MOBILENET_MIN_BLOCKS || blocks > MOBILENET_MAX_BLOCKS) {
    throw new Error(`The mobilenet space has ${MOBILENET_MIN_BLOCKS} to ${MOBILENET_MAX_BLOCKS} blocks (one per stage at least); got ${blocks}.`);
  }
  const kept = MOBILENET_STAGES.map(() => 1);
  let left = blocks - kept.length;
  for (let repeat = 1; left > 0; repeat++) {
    for (let s = 0; s < MOBILENET_STAGES.length && left > 0; s++) {
      if (MOBILENET_STAGES[s][2] > repeat) {
        kept[s] += 1;
        left -= 1;
      }
    }
  }
  return kept;
}

export interface MobilenetLayout {
  stemChannels: number;
  headChannels: number;
  blocks: MobilenetBlock[];
}

/** Spatial size after a 3×3 (or k×k, pad (k−1)/2) conv of stride s: ⌈size / s⌉. */
const strided = (size: number, stride: number) => Math.ceil(size / stride);

/**
 * The meta-graph's blocks for these options and a square input. The head's 1280 channels scale with the width
 * too (MobileNetV2 keeps 1280 below width 1; scaling it keeps a CPU-sized meta-graph small end to end).
 */
export function mobilenetLayout(space: Pick<MobilenetSpace, 'widthMult' | 'blocks'>, inputSize: number): MobilenetLayout {
  const w = space.widthMult;
  const stemChannels = makeDivisible(STEM_CHANNELS * w);
  const kept = blocksPerStage(space.blocks);
  const blocks: MobilenetBlock[] = [];
  let channels = stemChannels;
  let size = inputSize;
  MOBILENET_STAGES.forEach(([, c, , s], stage) => {
    const out = makeDivisible(c * w);
    for (let i = 0; i < kept[stage]; i++) {
      const stride = i === 0 ? s : 1;
      blocks.push({ index: blocks.length, stage, stageFirst: i === 0, inChannels: channels, outChannels: out, stride, inputSize: size });
      channels = out;
      size = strided(size, stride);
    }
  });
  return { stemChannels, headChannels: makeDivisible(HEAD_CHANNELS * Math.min(w, 1)), blocks };
}

/** A policy as blocks × ops bits: row-major 0/1 values. */
export type Policy = ArrayLike<number>;

/**
 * Looked-up latency of a policy (ALGORITHMS.md §6): the sum of the enabled ops' latencies; a stage-first block
 * with nothing enabled runs (and is charged) op 4; any other empty block is an identity and costs nothing.
 */
export function policyLatency(table: readonly (readonly number[])[], blocks: readonly Pick<MobilenetBlock, 'stageFirst'>[], policy: Policy): number {
  const ops = MOBILENET_OPS.length;
  if (policy.length !== blocks.length * ops) throw new Error(`A policy for ${blocks.length} blocks has ${blocks.length * ops} bits; got ${policy.length}.`);
  let total = 0;
  blocks.forEach((b, t) => {
    let any = false;
    for (let k = 0; k < ops; k++) {
      if (policy[t * ops + k]) {
        total += table[t][k];
        any = true;
      }
    }
    if (!any && b.stageFirst) total += table[t][FALLBACK_OP];
  });
  return total;
}

/** The reference sums of a latency table: op 0 everywhere (MobileNetV2-like), every op, and nothing enabled. */
export function latencyReferences(table: readonly (readonly number[])[], blocks: readonly Pick<MobilenetBlock, 'stageFirst'>[]): { baseline: number; allOps: number; min: number } {
  const n = blocks.length * MOBILENET_OPS.length;
  const only = (pick: (k: number) => boolean) => Array.from({ length: n }, (_, i) => (pick(i % MOBILENET_OPS.length) ? 1 : 0));
  return {
    baseline: policyLatency(table, blocks, only((k) => k === 0)),
    allOps: policyLatency(table, blocks, only(() => true)),
    min: policyLatency(table, blocks, only(() => false)),
  };
}

/** The policy as the result's path key: blocks×ops bits without separators ("10000" per block). */
export function policyKey(policy: Policy): string {
  let s = '';
  for (let i = 0; i < policy.length; i++) s += policy[i] ? '1' : '0';
  return s;
}

export function parsePolicyKey(key: string): number[] {
  if (!/^[01]*$/.test(key) || key.length % MOBILENET_OPS.length !== 0) throw new Error(`'${key}' is not an InstaNAS policy: expected ${MOBILENET_OPS.length} bits (0/1) per block.`);
  return [...key].map((c) => (c === '1' ? 1 : 0));
}
