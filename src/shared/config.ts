import { z } from 'zod';
import { BACKENDS } from './backends';
import { SPACE_DESCRIPTORS, SpaceConfigSchema, type SpaceName } from './spaces/registry';
import { STRATEGY_DESCRIPTORS, StrategyConfigSchema, TABLE_STRATEGIES } from './strategies/registry';
import type { StrategyDescriptor } from './strategies/types';

export { BACKENDS } from './backends';
export { SPACES, type SpaceConfig, type SpaceName } from './spaces/registry';
export { STRATEGIES, type StrategyConfig, type StrategyConfigOf, type StrategyName } from './strategies/registry';

/** supernet: train on the dataset (a search); nb201-table: query the benchmark table (a dry run). */
export const ESTIMATIONS = ['supernet', 'nb201-table'] as const;
export type Estimation = (typeof ESTIMATIONS)[number];

/** Whether a run config is a dry run on the NAS-Bench-201 table (stored with run kind 'dry-run'). */
export function isDryRun(config: { estimation?: Estimation }): boolean {
  return config.estimation === 'nb201-table';
}

/**
 * The kind a run of this config is stored as: a dry run on the table, a retrain (a strategy of the
 * 'evaluation' family trains a given architecture), or a search.
 */
export function runKindOf(config: SearchConfig): 'search' | 'retrain' | 'dry-run' {
  if (isDryRun(config)) return 'dry-run';
  return (STRATEGY_DESCRIPTORS[config.strategy.name] as { family: string } | undefined)?.family === 'evaluation' ? 'retrain' : 'search';
}

// Run configuration: one schema for the wizard, the CLI, the store and the trainer (ARCHITECTURE §8):
// common fields, then `space: { name, …space options }` and `strategy: { name, …strategy options }`, each a
// discriminated union whose members carry their own defaults. Stored configs of older shapes are migrated
// (store migration 4; `upgradeStoredConfig` below).

export const SearchConfigSchema = z
  .object({
    name: z.string().trim().max(200).optional(),
    /**
     * How candidates are scored: by training a supernet on the dataset, or by looking them up in the
     * NAS-Bench-201 table (a dry run: no dataset, no training, seconds).
     */
    estimation: z.enum(ESTIMATIONS).default('supernet'),
    /** A dataset id from the app's dataset list, or a path / known name for the CLI; unused by a dry run. */
    dataset: z.string().default(''),
    /** Use only the first N (class-balanced) training images; 0 = all. */
    trainLimit: z.number().int().min(0).default(0),
    trainPortion: z.number().gt(0).lt(1).default(0.5),
    augment: z.boolean().default(true),
    batchSize: z.number().int().min(2).max(1024).default(64),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    backend: z.enum(BACKENDS).default('auto'),
    /** Gradient checkpointing: recompute activations in the backward pass to fit large supernets in memory. */
    recompute: z.enum(['auto', 'on', 'off']).default('auto'),
    /**
     * Training threads on the CPU backends (wasm, cpu): data-parallel replicas, one core each. 'auto' = the
     * machine's idle cores, 1 when it is busy or the batch is too small (nas/parallel/threads.ts).
     */
    threads: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
    /**
     * BatchNorm across threads: 'sync' normalises over the whole batch (the single-thread result up to
     * rounding); 'per-worker' normalises each thread's shard alone (faster, different gradients).
     */
    threadBn: z.enum(['sync', 'per-worker']).default('sync'),
    space: SpaceConfigSchema.prefault({ name: 'nb201' }),
    strategy: StrategyConfigSchema.prefault({ name: 'darts' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.estimation === 'supernet' && c.dataset.trim() === '') ctx.addIssue({ code: 'custom', path: ['dataset'], message: 'Choose a dataset.' });
    if (c.estimation === 'nb201-table') {
      if (c.space.name !== 'nb201') {
        ctx.addIssue({ code: 'custom', path: ['space', 'name'], message: 'a dry run looks architectures up in the NAS-Bench-201 table: choose the NAS-Bench-201 space' });
      }
      if (STRATEGY_DESCRIPTORS[c.strategy.name].tableBudget === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['strategy', 'name'],
          message: `${STRATEGY_DESCRIPTORS[c.strategy.name].label} trains a supernet and has no dry run; dry runs: ${TABLE_STRATEGIES.join(', ')}`,
        });
      }
    }
    const problem = (STRATEGY_DESCRIPTORS[c.strategy.name] as StrategyDescriptor).optionsProblem?.(c.strategy as Record<string, unknown>, c.space);
    if (problem) ctx.addIssue({ code: 'custom', path: ['strategy', problem.field], message: problem.message });
    const supported: readonly SpaceName[] = STRATEGY_DESCRIPTORS[c.strategy.name].spaces;
    if (!supported.includes(c.space.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['strategy', 'name'],
        message: `${STRATEGY_DESCRIPTORS[c.strategy.name].label} does not search the ${SPACE_DESCRIPTORS[c.space.name].label} space; it supports ${supported.join(', ')}`,
      });
    }
  });

export type SearchConfig = z.output<typeof SearchConfigSchema>;
export type SearchConfigInput = z.input<typeof SearchConfigSchema>;

/** One line per problem, naming the field: "strategy.epochs: must be at least 1". */
export function describeZodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : 'config'}: ${i.message}`).join('; ');
}

export function parseSearchConfig(input: unknown): SearchConfig {
  const r = SearchConfigSchema.safeParse(input);
  if (!r.success) throw new Error(`Invalid run configuration: ${describeZodError(r.error)}`);
  return r.data;
}

const COMMON_KEYS = ['name', 'dataset', 'trainLimit', 'trainPortion', 'augment', 'batchSize', 'seed', 'backend', 'recompute'] as const;
const SPACE_KEYS = { nb201: ['channels', 'cells', 'ops', 'allowNone'], darts: ['channels', 'cells', 'nodes', 'ops'] } as const;
const DARTS_KEYS = ['order', 'epochs', 'wLr', 'wLrMin', 'momentum', 'wWeightDecay', 'gradClip', 'alphaLr', 'alphaWeightDecay', 'alphaBeta1', 'alphaBeta2'] as const;

/**
 * A stored config in today's shape. Configs written before the strategy seam were flat
 * (`{ space: 'nb201', strategy: 'darts', order, epochs, cells, … }`); they become
 * `{ …common, space: { name, … }, strategy: { name: 'darts', … } }`, keeping every value the run used.
 * The old shape defaulted `cells` to 5 in both spaces, so a flat DARTS-space config without `cells` keeps 5.
 */
export function upgradeStoredConfig(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object') return raw;
  const old = raw as Record<string, unknown>;
  if (typeof old.space !== 'string' && typeof old.strategy !== 'string') return raw;
  const pick = (keys: readonly string[]) => Object.fromEntries(keys.filter((k) => old[k] !== undefined).map((k) => [k, old[k]]));
  const spaceName = old.space === 'darts' ? 'darts' : 'nb201';
  const space = { name: spaceName, ...pick(SPACE_KEYS[spaceName]) } as Record<string, unknown>;
  if (spaceName === 'darts' && space.cells === undefined) space.cells = 5;
  return { ...pick(COMMON_KEYS), space, strategy: { name: typeof old.strategy === 'string' ? old.strategy : 'darts', ...pick(DARTS_KEYS) } };
}

/** Fields a paused run may change before resuming: they do not alter what the search computes. */
const RESUME_FREE_FIELDS = new Set(['name', 'backend', 'recompute', 'threads']);

/**
 * Why a checkpoint written under `saved` cannot continue a run configured as `current`: one line per
 * differing setting ("space.channels: 8 in the checkpoint, 16 now"), empty when they match.
 */
export function describeConfigDifferences(saved: unknown, current: unknown, path = ''): string[] {
  if (path === '' && (typeof saved !== 'object' || saved === null)) return [];
  if (typeof saved === 'object' && saved !== null && typeof current === 'object' && current !== null && !Array.isArray(saved)) {
    const keys = new Set([...Object.keys(saved), ...Object.keys(current)]);
    return [...keys]
      .filter((k) => !(path === '' && RESUME_FREE_FIELDS.has(k)))
      .flatMap((k) => describeConfigDifferences((saved as Record<string, unknown>)[k], (current as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  const a = JSON.stringify(saved);
  const b = JSON.stringify(current);
  return a === b ? [] : [`${path}: ${a ?? 'unset'} in the checkpoint, ${b ?? 'unset'} now`];
}

/**
 * Why a run cannot train on this many images, or null. The 50/50 split for w and α needs at least 4 images
 * per class to leave anything to learn from. Checked when a run is created and again when it starts.
 */
export function trainingSetProblem(trainLimit: number, classes: number, trainCount: number): string | null {
  const count = trainLimit > 0 && trainLimit < trainCount ? trainLimit : trainCount;
  const min = minTrainImages(classes);
  if (count >= min) return null;
  return `Only ${count} training images for ${classes} classes: the 50/50 split leaves too few to learn from. Use a train limit of at least ${min} (or 0 for all images).`;
}

/** The fewest training images a run may use: 4 per class, so each half of the split has 2 per class. */
export function minTrainImages(classes: number): number {
  return 4 * classes;
}
