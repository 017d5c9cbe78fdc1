import { Command, Option } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SearchConfig } from '../shared/config';
import { STRATEGY_DESCRIPTORS, TABLE_STRATEGIES, dryRunIgnoredOptions, type StrategyName } from '../shared/strategies/registry';
import { buildConfig, CliError, int, real } from './cli-config';
import { CliHistoryRecorder, addHistoryFlags } from './cli-history';
import { SearchHistory, progressPrinter } from './cli-output';
import { runDryRun } from './nas/dry-run';
import { Nb201Table } from './nas/estimation/nb201-table';

// `nas-studio dry-run …`: a sampling strategy on the NAS-Bench-201 table instead of training, in well under
// a second; the same runner the app's dry runs use. With --json the last stdout line is one JSON object.

/** The options of the sampling strategies; `dryRun` leaves out what only weight sharing uses. */
export function addSamplingFlags(command: Command, dryRun: boolean): Command {
  if (!dryRun) {
    command
      .option('--samples <n>', 'random, evolution: candidates ranked with the shared weights (default 100)', int('--samples', 1))
      .option('--val-batches <n>', 'random, evolution: validation batches each candidate is scored on (default 10)', int('--val-batches', 1))
      .addOption(new Option('--sampling <when>', 'mdenas: sample a path per epoch (the paper) or per minibatch').choices(['epoch', 'minibatch']));
  }
  return command
    .option('--population <n>', 'evolution: population size P (default 20)', int('--population', 2))
    .option('--sample-size <n>', 'evolution: tournament size S (default 5)', int('--sample-size', 1))
    .option('--distribution-lr <lr>', 'mdenas: probability moved per won comparison (default 0.01)', real('--distribution-lr'))
    .addOption(new Option('--accuracy <which>', "mdenas: an op's accuracy is the latest or the running mean").choices(['latest', 'mean']))
    .addOption(new Option('--update <rule>', 'mdenas: pairwise transfer (never negative) or shift-and-renormalise').choices(['transfer', 'shift']))
    .addOption(new Option('--convergence <rule>', 'mdenas: stop rule').choices(['max-probability', 'entropy', 'epochs']))
    .option('--threshold <p>', 'mdenas: max-probability convergence threshold (default 0.9)', real('--threshold'))
    .option('--entropy-threshold <h>', 'mdenas: normalised-entropy convergence threshold (default 0.1)', real('--entropy-threshold'));
}

/** What a dry run's config means: no dataset, training or supernet settings (the table replaces them). */
function dryRunSettings(config: SearchConfig) {
  const { name: _name, ...strategy } = config.strategy as Record<string, unknown>;
  for (const key of dryRunIgnoredOptions(config.strategy.name)) delete strategy[key];
  const space = config.space.name === 'nb201' ? { name: 'nb201', ops: config.space.ops, allowNone: config.space.allowNone } : config.space;
  return { estimation: config.estimation, seed: config.seed, space, strategy: { name: config.strategy.name, ...strategy } };
}

/** The --table file as an absolute path, or the same refusal the app gives for a folder or a missing file. */
function tablePath(given: string): string {
  const path = resolve(given);
  if (!existsSync(path)) throw new CliError(`--table: ${path} does not exist. Give the path of a NAS-Bench-201 CSV file.`);
  if (statSync(path).isDirectory()) throw new CliError(`--table: ${path} is a folder, not a file. Give the path of the CSV file itself.`);
  return path;
}

async function dryRun(opts: Record<string, unknown>): Promise<void> {
  // --samples counts table queries: a strategy whose budget option is its epochs (MdeNAS: one sampled cell
  // each) gets them there.
  const countsEpochs = STRATEGY_DESCRIPTORS[opts.strategy as StrategyName]?.tableBudget === 'epochs';
  const flags = countsEpochs && opts.samples !== undefined ? { ...opts, epochs: opts.samples, samples: undefined } : opts;
  const config = buildConfig({ ...flags, space: 'nb201' }, { estimation: 'nb201-table' }, countsEpochs ? { 'strategy.epochs': '--samples' } : {});
  if (opts.table) Nb201Table.select(tablePath(String(opts.table)));
  const history = new SearchHistory();
  const print = progressPrinter(Boolean(opts.json));
  const started = Date.now();
  const recorder = CliHistoryRecorder.fromFlags(opts, false);
  const outcome = await runDryRun(config, {
    emit: (e) => {
      history.record(e);
      recorder?.record(e);
      // A dry run is over in well under a second: no progress lines; the summary below repeats the notes.
      if (e.type === 'log' && e.level === 'warn' && !opts.json) return;
      if (e.type !== 'progress') print(e);
    },
  });
  const result = outcome.result;
  if (!result?.nb201) throw new CliError('The dry run ended without a result.');
  const recorded = recorder?.finish(config, 'NAS-Bench-201 table', 'completed') ?? null;
  const s = result.nb201;
  if (opts.json) {
    const summary = {
      strategy: config.strategy.name,
      seed: config.seed,
      config: dryRunSettings(config),
      table: Nb201Table.current().source,
      /** Every accuracy in this object is a percentage (0–100), as in the NAS-Bench-201 table. */
      accuracyUnit: 'percent',
      arch: result.arch,
      nb201: s,
      summary: result.summary ?? null,
      queries: outcome.evaluations,
      /** Best found so far after each query: by the search's signal, and its CIFAR-10 test accuracy. */
      trajectory: outcome.trajectory.map(([evaluations, best, bestCifar10]) => ({ evaluations, best, bestCifar10 })),
      probabilities: history.probabilities,
      wallSeconds: (Date.now() - started) / 1000,
      /** Where the dry run was recorded in the NAS Studio history (null with --no-history or when it could not be). */
      history: recorded,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  process.stdout.write(`Arch: ${result.arch}\n`);
  process.stdout.write(
    `NAS-Bench-201: CIFAR-10 ${s.cifar10.toFixed(2)}%, CIFAR-100 ${s.cifar100.toFixed(2)}%, ImageNet16-120 ${s.imagenet16.toFixed(2)}%; rank ${s.rank} of 15,625 (${s.gapToOptimum.toFixed(2)} points below the best cell)\n`,
  );
  const sum = result.summary;
  if (sum) {
    process.stdout.write(`${sum.evaluations} queries, ${sum.distinctArchitectures ?? '?'} distinct architectures, decided on ${sum.signal}\n`);
    for (const note of sum.notes) process.stdout.write(`note: ${note}\n`);
  }
  if (recorded) process.stdout.write(`Recorded as run #${recorded.runId} in ${recorded.dataDir}\n`);
}

export function addDryRunCommand(program: Command): void {
  const command = program
    .command('dry-run')
    .description('Try a sampling strategy on the NAS-Bench-201 table in seconds: no dataset, no training.')
    .addOption(new Option('--strategy <strategy>', 'search strategy').choices(TABLE_STRATEGIES).default('evolution'))
    .option('--samples <n>', 'table queries (mdenas: epochs, one query each); default 100 (mdenas 200)', int('--samples', 1))
    .option('--seed <n>', 'random seed', int('--seed', 0))
    .option('--ops <list>', 'comma-separated candidate ops (default: all five)')
    .option('--no-allow-none', "never pick 'none' for an edge when deriving MdeNAS's cell")
    .option('--table <csv>', 'score with this NAS-Bench-201 table (same columns as the built-in one; cifar10_valid makes the signal honest)')
    .option('--json', 'end with one JSON line: arch, table accuracies, rank, trajectory, summary');
  addHistoryFlags(addSamplingFlags(command, true)).action(async (opts) => dryRun(opts));
}
