import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isDryRun, trainingSetProblem, type SearchConfig } from '../../shared/config';
import type { RunEnvironment, TrainerEvent } from '../../shared/events';
import { SPACE_DESCRIPTORS } from '../../shared/spaces/registry';
import { STRATEGY_DESCRIPTORS } from '../../shared/strategies/registry';
import { mobilenetLayout } from '../../shared/spaces/mobilenet';
import { loadIdxPair } from './data/idx';
import { FASHION_MNIST_NORMALIZATION, balancedSubset, computeNormalization, type ImageSet } from './data/image-set';
import { validateMnistFolder } from './data/mnist-family';
import { defaultDemoDatasetDir } from './data/resources';
import { initBackend, type AutoVerdict } from './engine/backend';
import { shouldRecompute } from './engine/recompute';
import { GpuFaultError } from './engine/webgpu-faults';
import { Rng, hashSeed } from './engine/rng';
import type { Supernet } from './engine/supernet';
import { runDryRun } from './dry-run';
import { Nb201Table } from './estimation/nb201-table';
import { runRetrainJob } from './estimation/retrain-job';
import { runInstanasJob } from './strategies/instanas-job';
import { spaceImplementation } from './spaces/registry';
import type { SearchControl } from './strategies/darts';
import { createStrategy, type SearchOutcome } from './strategies/registry';
import { resolveSpdDataReference, type SpdDataReference } from './data/spd-sets';
import { runSpdSearchJob } from './strategies/spdnas-job';
import { runSpdRetrainJob } from './estimation/spdnet-retrain-job';
import { attachPool } from './parallel/gradient-pool';
import { startRunPool, verifiedEachEpoch } from './parallel/run-pool';
import { oneThreadLogLine, resolveRunThreads } from './parallel/threads';

// One search job, end to end: data → space → strategy → estimation. The trainer process and the CLI both
// run jobs through here; a job is fully described by its config plus a data reference (ARCHITECTURE §7).

/** A dataset for a job: image files (IDX), or an SPD matrix set (data/spd-sets.ts). */
export type DataReference = ImageDataReference | SpdDataReference;

export interface ImageDataReference {
  kind?: 'images';
  trainImages: string;
  trainLabels: string;
  /** The test split (a retrain measures on it); absent = looked for beside the training files. */
  testImages?: string;
  testLabels?: string;
  /** A display name (e.g. "Fashion-MNIST"); Fashion-MNIST gets the paper's normalisation. */
  name: string;
}

export interface SearchJob {
  config: SearchConfig;
  /** The training set; null for a dry run on the NAS-Bench-201 table. */
  data: DataReference | null;
  /** The NAS-Bench-201 table to score with (a user's import); null or absent = the built-in table. */
  benchmarkTable?: string | null;
  /** Folder for this run's checkpoints. */
  runDir: string;
  /** Checkpoint to continue from (exact resume). */
  resumeFrom?: string | null;
  appVersion: string;
  /** A retrain's export folder (default <runDir>/model). */
  exportDir?: string | null;
  /** What `auto` means on this machine: the backend probe's cached verdict; absent = the fixed order. */
  autoBackend?: AutoVerdict | null;
}

export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

/** CLI convenience: a known name ('fashion-mnist', 'demo') or a folder of MNIST-family IDX files. */
export function resolveDataReference(nameOrPath: string): DataReference {
  const spd = resolveSpdDataReference(nameOrPath);
  if (spd) return spd;
  const key = nameOrPath.toLowerCase();
  if (key === 'fashion-mnist') {
    if (!existsSync(DEBIAN_FASHION_MNIST)) {
      throw new Error(`Fashion-MNIST is not installed at ${DEBIAN_FASHION_MNIST}. Install it with 'apt-get install dataset-fashion-mnist', or pass --dataset demo or a folder of IDX files.`);
    }
    return { ...idxPairRef(DEBIAN_FASHION_MNIST), name: 'Fashion-MNIST' };
  }
  if (key === 'demo') return { ...idxPairRef(defaultDemoDatasetDir()), name: 'Fashion-MNIST demo' };
  if (!existsSync(nameOrPath)) throw new Error(`Dataset '${nameOrPath}' not found: pass fashion-mnist, demo, spd-synthetic, or a folder of IDX files.`);
  if (!statSync(nameOrPath).isDirectory()) throw new Error(`Dataset '${nameOrPath}' is a file: pass the folder that holds the IDX files.`);
  const name = basename(nameOrPath) || nameOrPath;
  return { ...idxPairRef(nameOrPath), name: /fashion/i.test(name) ? 'Fashion-MNIST' : name };
}

/** Checks every pair in the folder (train and test) before any training starts; errors name the file. */
function idxPairRef(dir: string) {
  const { train, test } = validateMnistFolder(dir);
  return { trainImages: train.images, trainLabels: train.labels, ...(test ? { testImages: test.images, testLabels: test.labels } : {}) };
}

export function loadTrainingSet(data: ImageDataReference, config: SearchConfig): ImageSet {
  const set = loadIdxPair(data.trainImages, data.trainLabels);
  return config.trainLimit > 0 && config.trainLimit < set.count ? balancedSubset(set, config.trainLimit, config.seed) : set;
}

/** The memory-relevant shape of a run, for out-of-memory advice. */
export function trainingShape(config: SearchConfig): { batchSize: number; channels: number; cells: number } {
  const space = config.space;
  if (space.name === 'mobilenet') return { batchSize: config.batchSize, channels: mobilenetLayout(space, 32).stemChannels, cells: space.blocks };
  return { batchSize: config.batchSize, channels: space.channels, cells: space.cells };
}

export function buildSupernet(config: SearchConfig, inputShape: [number, number, number], classes: number): Supernet {
  return spaceImplementation(config.space).build(config.space, inputShape, classes, new Rng(hashSeed(config.seed, 1)));
}

export interface JobResult {
  outcome: SearchOutcome;
  result: Extract<TrainerEvent, { type: 'result' }> | null;
  environment: RunEnvironment;
}

/**
 * Checkpoint names sort in the order they were written: the global step leads, because an SGAS-es rollback
 * repeats epoch numbers.
 */
export function checkpointFile(runDir: string, epoch: number, stepInEpoch: number, globalStep: number): string {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return join(runDir, 'checkpoints', `step-${pad(globalStep, 9)}-epoch-${pad(epoch, 4)}-${pad(stepInEpoch, 6)}.ckpt`);
}

/** The newest checkpoint of a run (names sort in the order written), or null when none was written yet. */
export function latestCheckpoint(runDir: string): string | null {
  const dir = join(runDir, 'checkpoints');
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.ckpt')).sort();
  } catch {
    return null;
  }
  return names.length > 0 ? join(dir, names[names.length - 1]!) : null;
}
/** Why SPD runs (SPDNetNAS, an SPD retrain) train on one thread whatever the setting. */
export const SPD_SINGLE_THREAD_REASON = SPACE_DESCRIPTORS.spd.singleThreadReason;

/** Strategies that run a job of their own once the data and backend are ready (no supernet of the space). */
const OWN_JOBS: Partial<Record<SearchConfig['strategy']['name'], typeof runInstanasJob>> = { instanas: runInstanasJob };

export async function runSearchJob(job: SearchJob, emit: (e: TrainerEvent) => void, control: SearchControl): Promise<JobResult> {
  try {
    return await runJob(job, emit, control);
  } catch (e) {
    // A lost GPU or a refused GPU operation: the run ends here and says where it can resume from.
    if (e instanceof GpuFaultError) throw e.withCheckpoint(latestCheckpoint(job.runDir));
    throw e;
  }
}

async function runJob(job: SearchJob, emit: (e: TrainerEvent) => void, control: SearchControl): Promise<JobResult> {
  const started = Date.now();
  const { config } = job;
  // The run's table (a user's import, or the built-in one) scores every NAS-Bench-201 cell of this job.
  Nb201Table.select(job.benchmarkTable ?? null);
  if (isDryRun(config)) return runDryRunJob(job, emit, control);
  if (!job.data) throw new Error('This search needs a dataset: choose one, or make it a dry run on the NAS-Bench-201 table.');
  const data = job.data;
  if (data.kind === 'spd') {
    const spdJob = { ...job, data, checkpointPath: (epoch: number, step: number, globalStep: number) => checkpointFile(job.runDir, epoch, step, globalStep) };
    if (config.threads !== 1) emit({ type: 'log', level: 'info', message: oneThreadLogLine(SPD_SINGLE_THREAD_REASON) });
    return STRATEGY_DESCRIPTORS[config.strategy.name].family === 'evaluation' ? runSpdRetrainJob(spdJob, emit, control) : runSpdSearchJob(spdJob, emit, control);
  }
  if (config.space.name === 'spd') throw new Error(`The SPD space searches SPD matrices, but '${data.name}' is an image dataset. Choose an SPD dataset: spd-synthetic, or an imported folder of SPD matrices.`);
  // Data first: a bad file fails at once, before any backend start-up work or message.
  const train = loadTrainingSet(data, config);
  const tooFew = trainingSetProblem(0, train.classes, train.count);
  if (tooFew) throw new Error(tooFew);
  const backend = await initBackend(config.backend, job.autoBackend ?? null);
  const threads = resolveRunThreads(config, backend.backend);
  const environment: RunEnvironment = { appVersion: job.appVersion, ...backend, threads: threads.threads };
  emit({ type: 'environment', environment });
  // Once per run: a resumed run's log already explains the fallback.
  if (backend.fallbackReason && !job.resumeFrom) emit({ type: 'log', level: 'warn', message: backend.fallbackReason });

  const normalization = /fashion/i.test(data.name) ? { ...FASHION_MNIST_NORMALIZATION } : computeNormalization(train);
  // Search augmentation pads and crops to 32×32 (ALGORITHMS.md §4.4); without it images keep their size.
  const inputShape: [number, number, number] = config.augment ? [32, 32, train.channels] : [train.height, train.width, train.channels];
  if (STRATEGY_DESCRIPTORS[config.strategy.name].family === 'evaluation') {
    const checkpointPath = (epoch: number, stepInEpoch: number, globalStep: number) => checkpointFile(job.runDir, epoch, stepInEpoch, globalStep);
    return runRetrainJob({ ...job, data, train, normalization, inputShape, environment, threads, started, checkpointPath }, emit, control);
  }
  const ownJob = OWN_JOBS[config.strategy.name];
  if (ownJob) {
    if (threads.reason) emit({ type: 'log', level: 'info', message: oneThreadLogLine(threads.reason) });
    const checkpointPath = (epoch: number, stepInEpoch: number, globalStep: number) => checkpointFile(job.runDir, epoch, stepInEpoch, globalStep);
    return ownJob({ ...job, data, train, normalization, inputShape, environment, started, checkpointPath }, emit, control);
  }
  if (!job.resumeFrom) {
    emit({
      type: 'log',
      level: 'info',
      message: `${data.name}: ${train.count} training images (${train.height}×${train.width}×${train.channels}, ${train.classes} classes), split ${config.trainPortion}/${1 - config.trainPortion} for w/α; ${SPACE_DESCRIPTORS[config.space.name].label} space, ${describeStrategy(config)} on ${backend.backend}`,
    });
  }
  const net = buildSupernet(config, inputShape, train.classes);
  // Each thread holds its shard's activations in its own heap: 'auto' decides from the largest shard.
  const recompute = config.recompute === 'on' || (config.recompute === 'auto' && shouldRecompute(net, inputShape, Math.ceil(config.batchSize / threads.threads)));
  if (recompute && !job.resumeFrom) {
    emit({
      type: 'log',
      level: 'info',
      message: `Memory saving (gradient checkpointing) is on${config.recompute === 'auto' ? `: this supernet's activations at batch ${config.batchSize} would crowd the ${backend.backend === 'wasm' ? 'WebAssembly backend’s 4 GB heap' : 'available memory'}` : ''}. Steps are about 25% slower; memory use is a fraction.`,
    });
  }
  const space = spaceImplementation(config.space);
  const pool = await startRunPool(config, threads, { inputShape, classes: train.classes, backend: backend.backend }, emit);
  if (pool) attachPool(net, pool);
  const search = createStrategy({
    config,
    net,
    space,
    data: { train, normalization },
    emit: pool ? verifiedEachEpoch(emit, () => pool.verify(net)) : emit,
    runDir: job.runDir,
    recompute,
    checkpointPath: (epoch, stepInEpoch, globalStep) => checkpointFile(job.runDir, epoch, stepInEpoch, globalStep),
  });
  try {
    if (job.resumeFrom) {
      search.restore(job.resumeFrom);
      emit({ type: 'log', level: 'info', message: `Resumed from the checkpoint in epoch ${search.epoch + 1}.` });
    }
    const outcome = await search.run(control);
    if (outcome.status !== 'completed') return { outcome, result: null, environment };
    const architecture = outcome.selection
      ? space.fromSelection(config.space, outcome.selection, outcome.ops)
      : space.fromWeights(config.space, outcome.weights, outcome.ops);
    const seconds = (Date.now() - started) / 1000;
    const result = {
      type: 'result' as const,
      ...architecture,
      trainAccuracy: outcome.trainAccuracy,
      valAccuracy: outcome.valAccuracy,
      seconds,
      ...(outcome.summary ? { summary: outcome.summary } : {}),
    };
    emit({ type: 'snapshot', epoch: outcome.epochsDone - 1, kind: 'genotype', payload: result.genotype });
    emit(result);
    return { outcome, result, environment };
  } finally {
    search.dispose();
    await pool?.dispose();
  }
}

/** A dry run in the job's clothes: the same events, checkpoints and result, from table lookups. */
async function runDryRunJob(job: SearchJob, emit: (e: TrainerEvent) => void, control: SearchControl): Promise<JobResult> {
  const environment: RunEnvironment = { appVersion: job.appVersion, backend: 'table', device: 'NAS-Bench-201 table lookup (no training)', fallbackReason: null };
  emit({ type: 'environment', environment });
  const dry = await runDryRun(job.config, {
    emit,
    control,
    resumeFrom: job.resumeFrom,
    checkpointPath: join(job.runDir, 'checkpoints', 'dry-run.json'),
  });
  const result = dry.result;
  const outcome: SearchOutcome = {
    status: dry.status,
    ops: [],
    weights: {},
    trainAccuracy: result?.trainAccuracy ?? 0,
    valAccuracy: result?.valAccuracy ?? 0,
    epochsDone: dry.evaluations,
    wallEpochs: dry.evaluations,
    summary: result?.summary,
  };
  return { outcome, result, environment };
}

function describeStrategy(config: SearchConfig): string {
  const s = config.strategy;
  const label = STRATEGY_DESCRIPTORS[s.name].label;
  const order = 'order' in s ? `, ${s.order === 1 ? 'first' : 'second'} order` : '';
  return `${label}${order}`;
}
