import { Command, InvalidArgumentError, Option } from 'commander';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS, SPACES, STRATEGIES, parseSearchConfig } from '../shared/config';
import type { TrainerEvent } from '../shared/events';
import { triageTrainingError } from './nas/engine/errors';
import { resolveDataReference, runSearchJob } from './nas/job';
import { APP_VERSION } from './version';

// `nas-studio search …`: a search from the command line, for scripting and benchmarks. Progress goes to
// stderr; with --json the last stdout line is one JSON object. Errors are one line and a non-zero exit.

function int(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}; got '${value}'.`);
    return n;
  };
}

function real(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number; got '${value}'.`);
    return n;
  };
}

class CliError extends Error {}

function progressPrinter(json: boolean) {
  let lastLine = 0;
  // A terminal gets one line rewritten in place; a log file gets a plain line every 10 s.
  const tty = Boolean(process.stderr.isTTY);
  return (e: TrainerEvent) => {
    if (e.type === 'progress') {
      const now = Date.now();
      if (now - lastLine < (tty ? 1000 : 10_000)) return;
      lastLine = now;
      process.stderr.write(`epoch ${e.epoch + 1}/${e.epochs}  step ${e.step}/${e.stepsPerEpoch}${tty ? '\r' : '\n'}`);
    } else if (e.type === 'metrics' && e.values.val_acc !== undefined) {
      process.stderr.write(
        `\nepoch ${e.epoch + 1}: train loss ${e.values.epoch_train_loss.toFixed(4)}  train acc ${(100 * e.values.epoch_train_acc).toFixed(2)}%  val loss ${e.values.val_loss.toFixed(4)}  val acc ${(100 * e.values.val_acc).toFixed(2)}%\n`,
      );
    } else if (e.type === 'log' && (e.level !== 'info' || !json)) {
      process.stderr.write(`${e.level === 'info' ? '' : `${e.level}: `}${e.message}\n`);
    } else if (e.type === 'environment') {
      process.stderr.write(`backend: ${e.environment.backend} (${e.environment.device})\n`);
    }
  };
}

async function search(opts: Record<string, unknown>): Promise<void> {
  const config = (() => {
    try {
      return parseSearchConfig({
        space: opts.space,
        strategy: opts.strategy,
        order: Number(opts.order),
        dataset: opts.dataset,
        epochs: opts.epochs,
        batchSize: opts.batch,
        channels: opts.channels,
        cells: opts.cells,
        trainLimit: opts.trainLimit,
        seed: opts.seed,
        backend: opts.backend,
        augment: opts.augment,
        recompute: opts.recompute,
        nodes: opts.nodes,
        allowNone: opts.allowNone,
        trainPortion: opts.trainPortion,
        wLr: opts.wLr,
        alphaLr: opts.alphaLr,
        ...(opts.ops ? { ops: String(opts.ops).split(',').map((o) => o.trim()).filter(Boolean) } : {}),
      });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  })();
  const data = resolveDataReference(config.dataset);
  const runDir = (opts.runDir as string | undefined) ?? mkdtempSync(join(tmpdir(), 'nas-studio-cli-'));
  let interrupted: 'stop' | null = null;
  process.once('SIGINT', () => {
    interrupted = 'stop';
    process.stderr.write('\nStopping after the current step…\n');
  });
  const started = Date.now();
  const { outcome, result, environment } = await runSearchJob(
    { config, data, runDir, appVersion: APP_VERSION },
    progressPrinter(Boolean(opts.json)),
    { interrupt: () => interrupted },
  ).catch((e: unknown) => {
    const { message, hint } = triageTrainingError(e, config);
    throw Object.assign(new CliError(message), { hint });
  });
  if (!result) throw new CliError(`Search ${outcome.status} after ${outcome.epochsDone} epochs; checkpoints are in ${runDir}.`);
  const summary = {
    backend: environment.backend,
    device: environment.device,
    seed: config.seed,
    space: config.space,
    strategy: config.strategy,
    order: config.order,
    genotype: result.genotype,
    arch: result.arch,
    nb201: result.nb201,
    trainAccuracy: result.trainAccuracy,
    valAccuracy: result.valAccuracy,
    wallSeconds: (Date.now() - started) / 1000,
    checkpoints: runDir,
  };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    process.stdout.write(`\nGenotype: ${result.arch ?? JSON.stringify(result.genotype)}\n`);
    if (result.nb201) {
      const s = result.nb201;
      process.stdout.write(
        `NAS-Bench-201: CIFAR-10 ${s.cifar10.toFixed(2)}%, CIFAR-100 ${s.cifar100.toFixed(2)}%, ImageNet16-120 ${s.imagenet16.toFixed(2)}%; rank ${s.rank} of 15,625 (gap to optimum ${s.gapToOptimum.toFixed(2)})\n`,
      );
    }
    process.stdout.write(`Final train accuracy ${(100 * result.trainAccuracy).toFixed(2)}%, val accuracy ${(100 * result.valAccuracy).toFixed(2)}%, ${summary.wallSeconds.toFixed(1)} s\n`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('nas-studio')
    .description('NAS Studio command line: run neural architecture searches without the app.')
    .version(APP_VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('search')
    .description('Run a search and print the architecture it finds.')
    .addOption(new Option('--space <space>', 'search space').choices(SPACES).default('nb201'))
    .addOption(new Option('--strategy <strategy>', 'search strategy').choices(STRATEGIES).default('darts'))
    .addOption(new Option('--order <n>', 'DARTS order (1 = first, 2 = second)').choices(['1', '2']).default('1'))
    .requiredOption('--dataset <pathOrName>', "'fashion-mnist' (Debian's package), 'demo' (built in), or a folder of IDX files")
    .option('--epochs <n>', 'epochs', int('--epochs', 1), 50)
    .option('--batch <n>', 'batch size', int('--batch', 2), 64)
    .option('--channels <n>', 'initial channels C', int('--channels', 2), 16)
    .option('--cells <n>', 'cells per stage (nb201) or total cells (darts)', int('--cells', 1), 5)
    .option('--train-limit <n>', 'use only N class-balanced training images (0 = all)', int('--train-limit', 0), 0)
    .option('--seed <n>', 'random seed', int('--seed', 0), 0)
    .option('--nodes <n>', 'intermediate nodes per cell (darts space)', int('--nodes', 2), 4)
    .option('--ops <list>', 'comma-separated candidate ops (default: all of the space)')
    .option('--no-allow-none', "nb201: never pick 'none' for an edge when discretising")
    .option('--train-portion <p>', 'share of the training images for the weights (the rest updates α)', real('--train-portion'), 0.5)
    .option('--w-lr <lr>', 'weight learning rate (cosine-annealed to 0.001)', real('--w-lr'), 0.025)
    .option('--alpha-lr <lr>', 'architecture (α) learning rate, Adam', real('--alpha-lr'), 3e-4)
    .option('--no-augment', 'no pad-crop/flip augmentation (keeps the native image size)')
    .addOption(new Option('--backend <backend>', 'tfjs backend').choices(BACKENDS).default('auto'))
    .addOption(new Option('--recompute <mode>', 'gradient checkpointing: trade ~25% speed for memory').choices(['auto', 'on', 'off']).default('auto'))
    .option('--run-dir <dir>', 'folder for checkpoints (default: a temporary folder)')
    .option('--json', 'end with one JSON line: backend, seed, genotype, arch string, NAS-Bench-201 lookup, accuracies, wall time')
    .action(async (opts) => search(opts));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    if (err.code?.startsWith('commander.')) return err.exitCode ?? 2; // commander already printed the message
    const hint = (err as { hint?: string | null }).hint;
    process.stderr.write(`nas-studio: ${err.message}${hint ? ` ${hint}` : ''}\n`);
    // Scripts that asked for JSON get the failure as JSON too, still as the last stdout line.
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: err.message, hint: hint ?? null })}\n`);
    return 1;
  }
}

// Run when executed directly (bin/nas-studio.js imports and calls main).
