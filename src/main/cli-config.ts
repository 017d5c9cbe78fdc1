import { InvalidArgumentError, Option } from 'commander';
import { STRATEGIES, parseSearchConfig } from '../shared/config';
import { STRATEGY_OPTION_SCHEMAS } from '../shared/strategies/registry';

// Command-line flags → a run config, shared by `search` and `dry-run`: number parsing, the flags that only
// some strategies take, and errors that name the flag rather than the config key.

export function int(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}; got '${value}'.`);
    return n;
  };
}

export function real(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number; got '${value}'.`);
    return n;
  };
}

/** --threads: 'auto' (the idle cores) or a whole number of training threads ≥ 1. */
export function threadsFlag(value: string): 'auto' | number {
  if (value.trim().toLowerCase() === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new InvalidArgumentError(`--threads must be 'auto' or a whole number of threads from 1 to 64 (at most one per core helps); got '${value}'.`);
  }
  return n;
}

/** --threads, as `search` and `retrain` take it. */
export function threadsOption(): Option {
  return new Option('--threads <n|auto>', "training threads on the wasm and cpu backends: 'auto' (default: the idle cores) or N; each thread trains a share of every batch").argParser(threadsFlag);
}

/** --thread-bn, as `search` and `retrain` take it. */
export function threadBnOption(): Option {
  return new Option('--thread-bn <mode>', 'BatchNorm across threads: sync (the single-thread result) or per-worker (faster, different gradients)').choices(['sync', 'per-worker']);
}

export class CliError extends Error {}

/** Flags that only some strategies take, as config keys; a flag left out keeps the strategy's default. */
const STRATEGY_FLAGS = {
  order: (v: unknown) => Number(v),
  epochs: Number,
  wLr: Number,
  alphaLr: Number,
  criterion: (v: unknown) => Number(v),
  warmup: Number,
  decisionFreq: Number,
  finalEpochs: Number,
  esWindow: Number,
  esDelta: Number,
  esFactor: Number,
  hessianIters: Number,
  lambdaMax: Boolean,
  samples: Number,
  population: Number,
  sampleSize: Number,
  valBatches: Number,
  distributionLr: Number,
  sampling: String,
  accuracy: String,
  update: String,
  convergence: String,
  threshold: Number,
  entropyThreshold: Number,
  pretrainEpochs: Number,
  latencyWindow: String,
  posReward: Number,
  negReward: Number,
  netLr: Number,
} as const;

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * The run config from parsed flags. `common` adds config fields the command fixes (a dry run's estimation);
 * `renamed` names the flag of a config path where a command spells it otherwise (errors quote that flag).
 */
export function buildConfig(opts: Record<string, unknown>, common: Record<string, unknown> = {}, renamed: Record<string, string> = {}) {
  const strategy: Record<string, unknown> = { name: opts.strategy };
  for (const [key, convert] of Object.entries(STRATEGY_FLAGS)) {
    if (opts[key] !== undefined) strategy[key] = (convert as (v: unknown) => unknown)(opts[key]);
  }
  const space = defined({
    name: opts.space,
    channels: opts.channels,
    cells: opts.cells,
    nodes: opts.nodes,
    widthMult: opts.widthMult,
    blocks: opts.blocks,
    matrixSize: opts.matrixSize,
    karcherSteps: opts.karcherSteps,
    ops: opts.ops ? String(opts.ops).split(',').map((o) => o.trim()).filter(Boolean) : undefined,
    // --no-allow-none sets false; the flag's implicit true is the space default anyway.
    allowNone: opts.allowNone === false ? false : undefined,
  });
  try {
    return parseSearchConfig(
      defined({
        dataset: opts.dataset,
        batchSize: opts.batch,
        trainLimit: opts.trainLimit,
        seed: opts.seed,
        backend: opts.backend,
        augment: opts.augment,
        recompute: opts.recompute,
        threads: opts.threads,
        threadBn: opts.threadBn,
        trainPortion: opts.trainPortion,
        space,
        strategy,
        ...common,
      }),
    );
  } catch (e) {
    // Name the flag rather than the config key: "strategy: Unrecognized key: "warmup"" → "--warmup …",
    // "strategy.esFactor: Too small…" → "--es-factor: Too small…".
    const msg = (e as Error).message
      .replace(/^Invalid run configuration: /, '')
      .replace(/strategy: Unrecognized keys?: "?([a-zA-Z]+)"?/g, (_m, key: string) => {
        return `${flagFor(key, renamed)} does not apply to ${String(opts.strategy)}; strategies that take it: ${STRATEGIES.filter((n) => key in (STRATEGY_OPTION_SCHEMAS[n] as unknown as { shape: object }).shape).join(', ')}`;
      })
      .replace(/(^|; )([a-zA-Z.]+): /g, (_m, sep: string, path: string) => `${sep}${flagFor(path, renamed)}: `);
    throw new CliError(msg);
  }
}

/** The command-line flag of a config path: strategy.esFactor → --es-factor, batchSize → --batch. */
function flagFor(path: string, renamed: Record<string, string> = {}): string {
  const special: Record<string, string> = { ...renamed, 'space.name': '--space', 'strategy.name': '--strategy', batchSize: '--batch', 'space.allowNone': '--no-allow-none' };
  if (special[path]) return special[path];
  const key = path.replace(/^(space|strategy)\./, '');
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
