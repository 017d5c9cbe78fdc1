import { Command, Option } from 'commander';
import type { TrainerEvent } from '../shared/events';
import { CliHistoryRecorder, addHistoryFlags } from './cli-history';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BACKENDS, SPACES, describeZodError, SearchConfigSchema, type SearchConfig } from '../shared/config';
import { NB201_ZERO_KEY, canonicalNb201Key } from '../shared/nb201-canonical';
import { architectureProblem } from '../shared/strategies/retrain';
import { CliError, int, real, threadBnOption, threadsOption } from './cli-config';
import { progressPrinter } from './cli-output';
import { triageTrainingError } from './nas/engine/errors';
import { resolveDataReference, runSearchJob, trainingShape } from './nas/job';
import { APP_VERSION } from './version';
import { spdRetrain } from './cli-spd-retrain';

// `nas-studio retrain …`: train one architecture from scratch as a stand-alone network, test it, measure it
// and export it. With --json the last stdout line is one JSON object naming testAccuracy (0–1), params,
// flops, latencyMs and exportDir.

function retrainConfig(opts: Record<string, unknown>): SearchConfig {
  const space: Record<string, unknown> = { name: opts.space };
  for (const k of ['channels', 'cells', 'nodes'] as const) if (opts[k] !== undefined) space[k] = opts[k];
  const strategy: Record<string, unknown> = { name: 'retrain', architecture: String(opts.arch ?? '') };
  const flags = { epochs: 'epochs', lr: 'lr', lrMin: 'lrMin', momentum: 'momentum', weightDecay: 'weightDecay', gradClip: 'gradClip', auxiliaryWeight: 'auxiliaryWeight', dropPath: 'dropPath', cutoutLength: 'cutoutLength' };
  for (const [flag, key] of Object.entries(flags)) if (opts[flag] !== undefined) strategy[key] = opts[flag];
  if (opts.auxiliary === false) strategy.auxiliary = false;
  if (opts.cutout === false) strategy.cutout = 'off';
  const input = {
    dataset: String(opts.dataset ?? ''),
    seed: opts.seed ?? 0,
    backend: opts.backend,
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.threadBn !== undefined ? { threadBn: opts.threadBn } : {}),
    augment: opts.augment !== false,
    ...(opts.batch !== undefined ? { batchSize: opts.batch } : {}),
    ...(opts.trainLimit !== undefined ? { trainLimit: opts.trainLimit } : {}),
    space,
    strategy,
  };
  const r = SearchConfigSchema.safeParse(input);
  if (!r.success) throw new CliError(`Invalid retrain settings: ${describeZodError(r.error).replace(/strategy\.architecture/g, '--arch')}`);
  const problem = architectureProblem(r.data.space, r.data.strategy.name === 'retrain' ? r.data.strategy.architecture : '');
  if (problem) throw new CliError(`--arch: ${problem}`);
  return r.data;
}

async function retrain(opts: Record<string, unknown>): Promise<void> {
  // SPD networks train on their own path (cli-spd-retrain.ts): no image pipeline, export or history.
  if (opts.space === 'spd') return spdRetrain(opts);
  const config = retrainConfig(opts);
  if (config.space.name === 'nb201' && config.strategy.name === 'retrain' && canonicalNb201Key(config.strategy.architecture) === NB201_ZERO_KEY) {
    process.stderr.write('warning: nothing in this cell reaches its output (every path goes through none): the retrain can only reach chance accuracy.\n');
  }
  const data = resolveDataReference(config.dataset);
  const runDir = mkdtempSync(join(tmpdir(), 'nas-studio-retrain-'));
  const exportDir = opts.export ? resolve(String(opts.export)) : null;
  let interrupted: 'stop' | null = null;
  process.once('SIGINT', () => {
    interrupted = 'stop';
    process.stderr.write('\nStopping after the current step…\n');
  });
  const started = Date.now();
  const print = progressPrinter(Boolean(opts.json));
  const recorder = CliHistoryRecorder.fromFlags(opts, false);
  const emit = (e: TrainerEvent) => {
    recorder?.record(e);
    print(e);
  };
  try {
    const { outcome, result, environment } = await runSearchJob({ config, data, runDir, appVersion: APP_VERSION, exportDir: exportDir ?? join(runDir, 'model') }, emit, {
      interrupt: () => interrupted,
    }).catch((e: unknown) => {
      const { message, hint } = triageTrainingError(e, { ...trainingShape(config), backend: config.backend });
      recorder?.finish(config, data.name, 'failed', hint ? `${message} ${hint}` : message);
      throw Object.assign(new CliError(message), { hint });
    });
    if (!result?.evaluation) {
      recorder?.finish(config, data.name, 'cancelled', 'Stopped from the command line (Ctrl+C).');
      throw new CliError(`Retrain ${outcome.status} after ${outcome.epochsDone} epochs.`);
    }
    const recorded = recorder?.finish(config, data.name, 'completed') ?? null;
    const e = result.evaluation;
    const summary = {
      testAccuracy: e.testAccuracy,
      params: e.params,
      flops: e.flops,
      latencyMs: e.latencyMs,
      latencyBackend: e.latencyBackend,
      exportDir,
      /** testAccuracy and trainAccuracy are fractions (0–1). */
      accuracyUnit: 'fraction',
      trainAccuracy: result.trainAccuracy,
      space: config.space.name,
      arch: result.arch,
      genotype: result.genotype,
      nb201: result.nb201,
      epochs: outcome.epochsDone,
      seed: config.seed,
      backend: environment.backend,
      device: environment.device,
      /** Training threads the retrain ran on (1 on a GPU backend or for an SPD network). */
      threads: environment.threads ?? 1,
      config,
      wallSeconds: (Date.now() - started) / 1000,
      /** Where the run was recorded in the NAS Studio history (null with --no-history or when it could not be). */
      history: recorded,
    };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write(
        `Test accuracy ${(100 * e.testAccuracy).toFixed(2)}%, ${e.params.toLocaleString('en')} parameters, ${(e.flops / 1e6).toFixed(2)} M multiply-adds, ${e.latencyMs?.toFixed(2)} ms per image on ${e.latencyBackend}\n`,
      );
      if (exportDir) process.stdout.write(`Model (TF.js layers format): ${exportDir}\n`);
    }
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

export function addRetrainCommand(program: Command): Command {
  const command = program
    .command('retrain')
    .description('Train one architecture from scratch as a stand-alone network; report test accuracy, parameters, FLOPs and latency; export it.')
    .addOption(new Option('--space <space>', 'space of the architecture').choices(SPACES).default('nb201'))
    .requiredOption('--arch <archOrGenotype>', 'a NAS-Bench-201 arch string, or a DARTS genotype as JSON (or a Genotype(…) line); spd: an SPDNetNAS genotype as JSON, or a file holding the JSON line of nas-studio search --space spd --json')
    .requiredOption('--dataset <pathOrName>', "'fashion-mnist' (Debian's package), 'demo' (built in), or a folder of IDX files with a test split; spd: 'spd-synthetic' (built in) or a folder of class sub-folders of SPD matrices")
    .option('--epochs <n>', 'training epochs (default 600, the recipe; spd: 100)', int('--epochs', 1))
    .option('--channels <n>', 'initial channels C (default 16; spd: SPD channels per node, default 1)', int('--channels', 1))
    .option('--cells <n>', 'cells per stage (nb201, default 5) or total cells L (darts, default 8; the recipe uses 20)', int('--cells', 1))
    .option('--nodes <n>', 'darts: intermediate nodes per cell (default 4)', int('--nodes', 2))
    .option('--batch <n>', 'batch size (default 64; spd: 30)', int('--batch', 2))
    .option('--seed <n>', 'random seed', int('--seed', 0))
    .option('--train-limit <n>', 'use only N class-balanced training images (0 = all)', int('--train-limit', 0))
    .option('--lr <lr>', "initial learning rate, cosine-annealed (default: the space's recipe, 0.025 DARTS, 0.1 NAS-Bench-201; spd: constant, 0.025)", real('--lr'))
    .option('--weight-decay <wd>', "weight decay (default: 3e-4 DARTS, 5e-4 NAS-Bench-201)", real('--weight-decay'))
    .option('--drop-path <p>', 'darts: drop-path probability (default 0.2)', real('--drop-path'))
    .option('--no-auxiliary', 'darts: no auxiliary head')
    .option('--no-cutout', 'no cutout (the recipe cuts out in the DARTS space only)')
    .option('--no-augment', 'no pad-crop/flip augmentation (keeps the native image size)')
    .addOption(new Option('--backend <backend>', 'tfjs backend').choices(BACKENDS).default('auto'))
    .addOption(threadsOption())
    .addOption(threadBnOption())
    .option('--export <dir>', 'export the trained model (TF.js layers format) into this folder')
    .option('--baseline <name>', "spd: also train this hand-designed baseline on the same data ('spdnet') and print one table")
    .option('--json', 'end with one JSON line: testAccuracy, params, flops, latencyMs, exportDir, …');
  addHistoryFlags(command);
  return command.action(async (opts) => retrain(opts));
}
