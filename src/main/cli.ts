import { Command, Option } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS, SPACES, STRATEGIES } from '../shared/config';
import { buildConfig, CliError, int, real, threadBnOption, threadsOption } from './cli-config';
import { addDryRunCommand, addSamplingFlags } from './cli-dry-run';
import { addRetrainCommand } from './cli-retrain';
import { addBundleCommands } from './cli-bundle';
import { addDoctorCommand, cachedAutoChoice } from './cli-doctor';
import { addDispatchCommands } from './cli-dispatch';
import { CliHistoryRecorder, addHistoryFlags } from './cli-history';
import { SearchHistory, progressPrinter } from './cli-output';
import { triageTrainingError } from './nas/engine/errors';
import { resolveDataReference, runSearchJob, trainingShape } from './nas/job';
import { spdCliDataReference } from './cli-spd-retrain';
import { APP_VERSION } from './version';
import type { InstanasResult } from '../shared/instanas';

// `nas-studio search …`: a search from the command line, for scripting and benchmarks. Progress goes to
// stderr; with --json the last stdout line is one JSON object. Errors are one line and a non-zero exit.

export const percent = (fraction: number) => Math.round(fraction * 1e4) / 100;

/** InstaNAS's figures for --json: latencies in ms, accuracies in percent like every accuracy of the summary. */
function instanasSummary(r: InstanasResult) {
  return {
    latency: r.latency,
    policy: r.policy,
    testAccuracy: percent(r.testAccuracy),
    baselineModel: { ...r.baselineModel, testAccuracy: percent(r.baselineModel.testAccuracy) },
    variants: r.variants.map((v) => ({ ...v, valAccuracy: percent(v.valAccuracy), testAccuracy: v.testAccuracy === null ? null : percent(v.testAccuracy) })),
    paths: r.paths.slice(0, 5).map(({ policy, latency, count, accuracy }) => ({ policy, latency, count, accuracy: percent(accuracy) })),
  };
}

/**
 * InstaNAS trains a 5-op meta-graph on every image (and a baseline after it): on the WebAssembly backend the
 * whole demo or Fashion-MNIST set makes even a 1 + 2 epoch search take far longer than a scripted check should,
 * so the command line takes this many class-balanced images unless --train-limit says otherwise (half train
 * the meta-graph, half the controller).
 */
const INSTANAS_CLI_TRAIN_LIMIT = 1000;
/**
 * Every op of every block keeps its activations for the backward pass (batch 64 outgrows wasm's 4 GB at 32×32
 * even at width 0.25), and a short search learns from SGD steps rather than from images: at batch 16 the
 * meta-graph takes 32 steps per epoch on its 500 images (96 in a 1 + 2 epoch search) where batch 32 took 8 on
 * 250. So the command line's InstaNAS batch is 16 unless --batch says otherwise.
 */
const INSTANAS_CLI_BATCH = 16;
/**
 * The paper's meta-graph learning rate (0.01) is for 164 + 500 epochs. The command line's budget is a few
 * epochs, ~100 steps: averaged over its enabled ops, each op of a block gets a fraction of a lone op's gradient,
 * and at 0.01 the meta-graph reached 19% (all ops) where the op-0 baseline reached 47% on the same steps (demo,
 * 7 blocks, 300 images). At 0.05 it reached 31%; at 0.1 training turned unstable. The baseline trains at the same
 * rate, so the comparison stays fair.
 */
const INSTANAS_CLI_NET_LR = 0.05;

async function search(opts: Record<string, unknown>): Promise<void> {
  if (opts.strategy === 'instanas') {
    const applied: string[] = [];
    if (opts.trainLimit === undefined) {
      opts.trainLimit = INSTANAS_CLI_TRAIN_LIMIT;
      applied.push(`${INSTANAS_CLI_TRAIN_LIMIT} class-balanced training images (--train-limit 0 for all of them)`);
    }
    if (opts.batch === undefined) {
      opts.batch = INSTANAS_CLI_BATCH;
      applied.push(`batch ${INSTANAS_CLI_BATCH} (--batch to change it)`);
    }
    if (opts.netLr === undefined) {
      opts.netLr = INSTANAS_CLI_NET_LR;
      applied.push(`meta-graph learning rate ${INSTANAS_CLI_NET_LR} for a short budget (--net-lr 0.01 for the paper's)`);
    }
    if (applied.length) process.stderr.write(`InstaNAS from the command line: ${applied.join(', ')}.\n`);
  }
  const config = buildConfig(opts);
  // An SPD folder of class sub-folders is read, checked and packed first (cli-spd-retrain.ts).
  const data = config.space.name === 'spd' ? await spdCliDataReference(config.dataset) : resolveDataReference(config.dataset);
  const ownRunDir = opts.runDir === undefined;
  const runDir = (opts.runDir as string | undefined) ?? mkdtempSync(join(tmpdir(), 'nas-studio-cli-'));
  let interrupted: 'stop' | null = null;
  process.once('SIGINT', () => {
    interrupted = 'stop';
    process.stderr.write('\nStopping after the current step…\n');
  });
  const started = Date.now();
  const history = new SearchHistory();
  const print = progressPrinter(Boolean(opts.json));
  const recorder = CliHistoryRecorder.fromFlags(opts, !ownRunDir);
  try {
    const { outcome, result, environment } = await runSearchJob(
      { config, data, runDir, appVersion: APP_VERSION, autoBackend: config.backend === 'auto' ? cachedAutoChoice(opts.dataDir as string | undefined) : null },
      (e) => {
        history.record(e);
        recorder?.record(e);
        print(e);
      },
      { interrupt: () => interrupted },
    ).catch((e: unknown) => {
      const { message, hint } = triageTrainingError(e, { ...trainingShape(config), backend: config.backend });
      recorder?.finish(config, data.name, 'failed', hint ? `${message} ${hint}` : message);
      throw Object.assign(new CliError(message), { hint });
    });
    if (!result) {
      const recorded = recorder?.finish(config, data.name, 'cancelled', 'Stopped from the command line (Ctrl+C).');
      throw new CliError(`Search ${outcome.status} after ${outcome.epochsDone} epochs${ownRunDir ? '' : `; checkpoints are in ${runDir}`}${recorded ? `; recorded as run #${recorded.runId}` : ''}.`);
    }
    const recorded = recorder?.finish(config, data.name, 'completed') ?? null;
    const summary = {
      backend: environment.backend,
      device: environment.device,
      /** The GPU adapter of a webgpu run (vendor, architecture, driver, fallback or not); null on other backends. */
      adapter: environment.adapter ?? null,
      /** Training threads the search ran on (data-parallel replicas; 1 on a GPU backend or a single-thread strategy). */
      threads: environment.threads ?? 1,
      seed: config.seed,
      space: config.space.name,
      strategy: config.strategy.name,
      config,
      genotype: result.genotype,
      arch: result.arch,
      /** Every accuracy in this object is a percentage (0–100), as in the NAS-Bench-201 table. */
      accuracyUnit: 'percent',
      nb201: result.nb201,
      trainAccuracy: percent(result.trainAccuracy),
      valAccuracy: percent(result.valAccuracy),
      decisions: history.decisions,
      eigenvalues: history.eigenvalues,
      earlyStops: history.earlyStops,
      collapseWarnings: history.collapseWarnings,
      probabilities: history.probabilities,
      // Evaluations scored with the shared weights: their accuracy in percent, as everywhere in this object.
      trajectory: history.trajectory.map((t) => ({ ...t, best: percent(t.best) })),
      benchmarkCurve: history.benchmarkCurve,
      summary: result.summary ?? null,
      ...(result.instanas ? instanasSummary(result.instanas) : {}),
      /** Every epoch trained (an SGAS-es rollback repeats epochs); `epochs` is where the search ended. */
      epochsTrained: outcome.wallEpochs,
      epochs: outcome.epochsDone,
      wallSeconds: (Date.now() - started) / 1000,
      checkpoints: ownRunDir ? null : runDir,
      /** Where the run was recorded in the NAS Studio history (null with --no-history or when it could not be). */
      history: recorded,
    };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write(`Genotype: ${result.arch ?? JSON.stringify(result.genotype)}\n`);
      if (result.nb201) {
        const s = result.nb201;
        process.stdout.write(
          `NAS-Bench-201: CIFAR-10 ${s.cifar10.toFixed(2)}%, CIFAR-100 ${s.cifar100.toFixed(2)}%, ImageNet16-120 ${s.imagenet16.toFixed(2)}%; rank ${s.rank} of 15,625 (${s.gapToOptimum.toFixed(2)} points below the best cell)\n`,
        );
      }
      process.stdout.write(`Final train accuracy ${summary.trainAccuracy.toFixed(2)}%, val accuracy ${summary.valAccuracy.toFixed(2)}%, ${summary.wallSeconds.toFixed(1)} s\n`);
      if (recorded) process.stdout.write(`Recorded as run #${recorded.runId} in ${recorded.dataDir}\n`);
    }
  } finally {
    // A temporary folder holds checkpoints nobody can resume from the CLI: never leave it behind.
    if (ownRunDir) rmSync(runDir, { recursive: true, force: true });
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
    .option('--epochs <n>', 'darts: search epochs (default 50); mdenas: most epochs (200); random, evolution: supernet epochs (50); instanas: search epochs (500); spdnas: search epochs (100)', int('--epochs', 1))
    .option('--pretrain-epochs <n>', 'instanas: one-shot pretraining epochs of the meta-graph (default 164)', int('--pretrain-epochs', 1))
    .option('--width-mult <w>', 'mobilenet space: width multiplier (default 1)', real('--width-mult'))
    .option('--blocks <n>', 'mobilenet space: blocks of the meta-graph, 7–17 (default 17)', int('--blocks', 1))
    .addOption(new Option('--latency-window <mode>', 'instanas: the reward’s latency window shrinks (dynamic) or stays [min, all ops] (static)').choices(['dynamic', 'static']))
    .option('--pos-reward <r>', 'instanas: reward of a correct prediction at the window’s middle (default 30)', real('--pos-reward'))
    .option('--neg-reward <r>', 'instanas: reward of a wrong prediction (default 0)', real('--neg-reward'))
    .option('--net-lr <lr>', `instanas: learning rate of the meta-graph and the baseline, SGD (paper 0.01; command line ${INSTANAS_CLI_NET_LR})`, real('--net-lr'))
    .addOption(new Option('--order <n>', 'α gradient order of the one-shot strategies (1 = first, 2 = second); default 1, spdnas 2 as its paper (1 takes about half the time there)').choices(['1', '2']))
    .requiredOption('--dataset <pathOrName>', "'fashion-mnist' (Debian's package), 'demo' (built in), 'spd-synthetic' (built-in SPD matrices, for --space spd), or a folder of IDX files (spd: of class sub-folders of SPD matrices)")
    .option('--batch <n>', `batch size (default 64; instanas: ${INSTANAS_CLI_BATCH})`, int('--batch', 2))
    .option('--channels <n>', 'initial channels C (default 16; spd: SPD channels per node, default 1)', int('--channels', 1))
    .option('--cells <n>', 'cells per stage (nb201, default 5) or total cells L (darts, default 8)', int('--cells', 1))
    .option('--nodes <n>', 'intermediate nodes per cell (darts space, default 4)', int('--nodes', 2))
    .option('--matrix-size <n>', 'spd space: matrix size after the stem BiMap (default 0 = the input size)', int('--matrix-size', 0))
    .option('--karcher-steps <n>', 'spd space: Karcher-flow steps of every Fréchet mean (default 1)', int('--karcher-steps', 1))
    .option('--ops <list>', 'comma-separated candidate ops (default: all of the space)')
    .option('--no-allow-none', "nb201: never pick 'none' for an edge when discretising")
    .option('--train-limit <n>', `use only N class-balanced training images (0 = all; instanas: ${INSTANAS_CLI_TRAIN_LIMIT} unless given)`, int('--train-limit', 0))
    .option('--train-portion <p>', 'share of the training images for the weights (the rest updates α)', real('--train-portion'))
    .option('--seed <n>', 'random seed', int('--seed', 0))
    .option('--w-lr <lr>', 'weight learning rate (cosine-annealed to 0.001)', real('--w-lr'))
    .option('--alpha-lr <lr>', 'architecture (α) learning rate, Adam', real('--alpha-lr'))
    .addOption(new Option('--criterion <n>', 'sgas, sgas-es: 1 = importance × certainty, 2 = also × stability').choices(['1', '2']))
    .option('--warmup <n>', 'sgas: epochs before the first decision (default 9)', int('--warmup', 0))
    .option('--decision-freq <n>', 'sgas: epochs between decisions (default 5); sgas-es: longest phase (default 15)', int('--decision-freq', 1))
    .option('--final-epochs <n>', 'sgas, sgas-es: epochs after the last decision (default 5)', int('--final-epochs', 0))
    .option('--es-window <n>', "sgas-es: window of λ_max's local average (default 3)", int('--es-window', 1))
    .option('--es-delta <n>', 'sgas-es: compare with the local average δ epochs earlier (default 4)', int('--es-delta', 1))
    .option('--es-factor <f>', 'sgas-es: stop when the local average grew by more than this factor (default 1.3)', real('--es-factor'))
    .option('--hessian-iters <n>', 'power-iteration steps for λ_max (default 20)', int('--hessian-iters', 2))
    .option('--lambda-max', 'darts, sgas: also track λ_max as a collapse indicator (sgas-es always does)')
    .option('--no-augment', 'no pad-crop/flip augmentation (keeps the native image size)')
    .addOption(new Option('--backend <backend>', 'tfjs backend').choices(BACKENDS).default('auto'))
    .addOption(new Option('--recompute <mode>', 'gradient checkpointing: trade ~25% speed for memory').choices(['auto', 'on', 'off']).default('auto'))
    .addOption(threadsOption())
    .addOption(threadBnOption())
    .option('--run-dir <dir>', 'folder for checkpoints (default: a temporary folder)')
    .option('--json', 'end with one JSON line: backend, seed, genotype, arch string, NAS-Bench-201 lookup, accuracies, wall time')
    .action(async (opts) => search(opts));
  addHistoryFlags(program.commands.find((c) => c.name() === 'search')!);
  addSamplingFlags(program.commands.find((c) => c.name() === 'search')!, false);
  addDryRunCommand(program);
  addRetrainCommand(program);
  addBundleCommands(program);
  addDoctorCommand(program);
  addDispatchCommands(program);
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
