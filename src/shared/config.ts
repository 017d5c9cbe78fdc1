import { z } from 'zod';
import { DARTS_OPS } from './spaces/darts';
import { NB201_OPS } from './spaces/nb201';

// Run configuration: one schema for the wizard, the CLI, the store and the trainer. Defaults follow
// ALGORITHMS.md §2 (DARTS engine) unless the field says otherwise.
export const SPACES = ['nb201', 'darts'] as const;
export const STRATEGIES = ['darts'] as const;
export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

export const SearchConfigSchema = z
  .object({
    name: z.string().trim().max(200).optional(),
    space: z.enum(SPACES).default('nb201'),
    strategy: z.enum(STRATEGIES).default('darts'),
    /** 1 = first-order DARTS, 2 = second-order (unrolled) DARTS. */
    order: z.union([z.literal(1), z.literal(2)]).default(1),
    /** A dataset id from the app's dataset list, or a path / known name for the CLI. */
    dataset: z.string().min(1, 'Choose a dataset.'),
    epochs: z.number().int().min(1).max(1000).default(50),
    batchSize: z.number().int().min(2).max(1024).default(64),
    /** Initial channel count C. */
    channels: z.number().int().min(2).max(256).default(16),
    /** nb201: cells per stage (N); darts: total cells (L). */
    cells: z.number().int().min(1).max(30).default(5),
    /** darts only: intermediate nodes per cell. */
    nodes: z.number().int().min(2).max(6).default(4),
    /** Candidate ops; empty = the space's full list. */
    ops: z.array(z.string()).default([]),
    /** Use only the first N (class-balanced) training images; 0 = all. */
    trainLimit: z.number().int().min(0).default(0),
    trainPortion: z.number().gt(0).lt(1).default(0.5),
    augment: z.boolean().default(true),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    backend: z.enum(BACKENDS).default('auto'),
    /** Gradient checkpointing: recompute activations in the backward pass to fit large supernets in memory. */
    recompute: z.enum(['auto', 'on', 'off']).default('auto'),
    wLr: z.number().positive().default(0.025),
    wLrMin: z.number().min(0).default(0.001),
    momentum: z.number().min(0).max(1).default(0.9),
    wWeightDecay: z.number().min(0).default(3e-4),
    gradClip: z.number().positive().default(5),
    alphaLr: z.number().min(0).default(3e-4),
    alphaWeightDecay: z.number().min(0).default(1e-3),
    alphaBeta1: z.number().min(0).lt(1).default(0.5),
    alphaBeta2: z.number().min(0).lt(1).default(0.999),
    /** nb201 discretisation: allow `none` on an edge (benchmark parity) or exclude it (SGAS-style). */
    allowNone: z.boolean().default(true),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.wLrMin > c.wLr) ctx.addIssue({ code: 'custom', path: ['wLrMin'], message: 'must not exceed the weight learning rate' });
    const valid: readonly string[] = c.space === 'nb201' ? NB201_OPS : DARTS_OPS;
    const unknown = c.ops.filter((op) => !valid.includes(op));
    if (unknown.length) {
      ctx.addIssue({ code: 'custom', path: ['ops'], message: `unknown op${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the ${c.space} space has ${valid.join(', ')}` });
    } else if (c.ops.length && c.ops.every((op) => op === 'none')) {
      ctx.addIssue({ code: 'custom', path: ['ops'], message: "needs at least one op other than 'none'" });
    }
    if (c.space === 'darts' && c.channels % 2 !== 0) {
      ctx.addIssue({ code: 'custom', path: ['channels'], message: 'must be even for the DARTS space (FactorizedReduce splits channels in two)' });
    }
  });

export type SearchConfig = z.output<typeof SearchConfigSchema>;
export type SearchConfigInput = z.input<typeof SearchConfigSchema>;

/** One line per problem, naming the field: "epochs: must be at least 1". */
export function describeZodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : 'config'}: ${i.message}`).join('; ');
}

export function parseSearchConfig(input: unknown): SearchConfig {
  const r = SearchConfigSchema.safeParse(input);
  if (!r.success) throw new Error(`Invalid run configuration: ${describeZodError(r.error)}`);
  return r.data;
}
