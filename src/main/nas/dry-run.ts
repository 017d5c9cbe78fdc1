import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { EPOCH_BENCHMARK_METRICS, TRAJECTORY_METRICS } from '../../shared/benchmark-metrics';
import type { SearchConfig } from '../../shared/config';
import type { SearchSummary, TrainerEvent } from '../../shared/events';
import { STRATEGY_DESCRIPTORS, tableQueries } from '../../shared/strategies/registry';
import { NB201_OPS, formatNb201Arch } from '../../shared/spaces/nb201';
import { orderedOpSubset } from '../../shared/spaces/op-subset';
import { Nb201Table } from './estimation/nb201-table';
import { spaceArchitecture, type EdgeSelection, type SearchResultArchitecture } from './spaces/architectures';
import type { SamplingSpace } from './strategies/architecture-sampling';
import type { ArchitectureSearcher } from './strategies/architecture-searcher';
import { probabilities } from './strategies/mdenas-distribution';
import { MdenasSearcher } from './strategies/mdenas-searcher';
import type { SearchControl } from './strategies/one-shot-types';
import { createTableSearcher } from './strategies/table-searchers';

// A dry run (ALGORITHMS.md §8, "surrogate search"): a sampling strategy proposes NAS-Bench-201 cells and the
// table scores them instead of training, so a strategy and its settings can be tried in seconds. Its decisions
// use CIFAR-10 validation accuracy where the table has it; the shipped table has test accuracy only, and the
// result says so. No tfjs, no dataset: the whole state is the searcher's JSON.

export interface DryRunOutcome {
  status: 'completed' | 'paused' | 'stopped';
  result: Extract<TrainerEvent, { type: 'result' }> | null;
  evaluations: number;
  /** Best-so-far after each query: [queries, signal of the best, CIFAR-10 test accuracy of the best] (%). */
  trajectory: Array<[number, number, number]>;
}

interface DryRunCheckpoint {
  version: 1;
  kind: 'dry-run';
  /** The table it scored with: a resume on another table would mix two benchmarks in one search. */
  tableFingerprint?: string;
  searcher: unknown;
  queried: string[];
  trajectory: Array<[number, number, number]>;
  config: SearchConfig;
}

/** The NAS-Bench-201 cell as the sampler sees it: one op column per edge, every edge kept. */
export function nb201SamplingSpace(config: SearchConfig): SamplingSpace {
  if (config.space.name !== 'nb201') throw new Error('A dry run looks cells up in the NAS-Bench-201 table: choose the NAS-Bench-201 space.');
  const space = spaceArchitecture(config.space);
  return { topology: space.topology(config.space), ops: orderedOpSubset('NAS-Bench-201', NB201_OPS, config.space.ops), cellTypes: ['cell'] };
}

export interface DryRunOptions {
  emit?: (e: TrainerEvent) => void;
  control?: SearchControl;
  /** Where a pause writes the state, and a resume reads it. */
  checkpointPath?: string;
  resumeFrom?: string | null;
  table?: Nb201Table;
}

export async function runDryRun(config: SearchConfig, options: DryRunOptions = {}): Promise<DryRunOutcome> {
  const started = Date.now();
  const emit = options.emit ?? (() => {});
  const table = options.table ?? Nb201Table.current();
  const space = nb201SamplingSpace(config);
  const searcher = createTableSearcher(config.strategy, space, config.seed);
  const signal = table.signalMetric();
  let queried: string[] = [];
  let trajectory: Array<[number, number, number]> = [];
  if (options.resumeFrom) {
    const saved = readCheckpoint(options.resumeFrom);
    if (saved.tableFingerprint && saved.tableFingerprint !== table.fingerprint) {
      throw new Error(
        `This dry run was paused while scoring with another NAS-Bench-201 table than the one active now (${table.source}): continuing would mix two benchmarks in one search. Make its table active again (Datasets page), or clone the run to start it over on this table.`,
      );
    }
    searcher.load(saved.searcher);
    queried = saved.queried;
    trajectory = saved.trajectory;
  } else {
    const budgetKey = STRATEGY_DESCRIPTORS[config.strategy.name].tableBudget;
    emit({ type: 'log', level: 'info', message: `Dry run of ${config.strategy.name} on the NAS-Bench-201 table (${table.source}), deciding on ${signal.column}; budget ${budgetOf(config)} ${budgetKey === 'epochs' ? 'epochs (one query each)' : 'queries'}.` });
    if (signal.note) emit({ type: 'log', level: 'warn', message: signal.note });
    const cells = space.ops.length ** space.topology.edgeNodes.length;
    if (budgetOf(config) > cells) {
      emit({ type: 'log', level: 'warn', message: `The ${space.ops.length} chosen op${space.ops.length > 1 ? 's' : ''} make only ${cells.toLocaleString('en-US')} cell${cells > 1 ? 's' : ''}; ${budgetOf(config)} queries will mostly repeat them.` });
    }
  }
  const budget = budgetOf(config);
  const progressEvery = Math.max(1, Math.floor(budget / 200));
  const opsOf = (s: EdgeSelection) => (s.cell as number[]).map((k) => space.ops[k]);
  const testOfBest = () => (searcher.best ? table.lookup(opsOf(searcher.best.selection)).cifar10 : NaN);

  while (!searcher.done()) {
    const interrupt = options.control?.interrupt() ?? null;
    if (interrupt) {
      if (interrupt === 'pause' && options.checkpointPath) {
        const info = await writeCheckpoint(options.checkpointPath, { version: 1, kind: 'dry-run', tableFingerprint: table.fingerprint, searcher: searcher.save(), queried, trajectory, config });
        emit({ type: 'checkpoint', epoch: searcher.evaluations, ...info });
      }
      return { status: interrupt === 'pause' ? 'paused' : 'stopped', result: null, evaluations: searcher.evaluations, trajectory };
    }
    const selection = searcher.ask();
    const ops = opsOf(selection);
    const entry = table.lookup(ops);
    const score = table.signalOf(entry);
    searcher.tell(selection, score);
    queried.push(formatNb201Arch(ops));
    const i = searcher.evaluations;
    const point: [number, number, number] = [i, searcher.best?.score ?? score, testOfBest()];
    trajectory.push(point);
    emit({ type: 'metrics', step: i, epoch: i - 1, values: { [TRAJECTORY_METRICS.candidate]: score, [TRAJECTORY_METRICS.best]: point[1], [TRAJECTORY_METRICS.bestCifar10]: point[2] } });
    if (searcher instanceof MdenasSearcher) {
      emit({ type: 'snapshot', epoch: i - 1, kind: 'probabilities', payload: { ops: [...space.ops], cells: probabilities(searcher.distribution) } });
      // What MdeNAS would return now is its most likely cell, not the best it sampled: its table score per query.
      const now = answerArchitecture(config, searcher, space).nb201;
      if (now) {
        emit({ type: 'metrics', step: i, epoch: i - 1, values: { [EPOCH_BENCHMARK_METRICS.cifar10]: now.cifar10, [EPOCH_BENCHMARK_METRICS.cifar100]: now.cifar100, [EPOCH_BENCHMARK_METRICS.imagenet16]: now.imagenet16, [EPOCH_BENCHMARK_METRICS.rank]: now.rank } });
      }
    }
    if (i % progressEvery === 0 || searcher.done()) emit({ type: 'progress', epoch: 0, epochs: 1, step: i, stepsPerEpoch: budget });
    // Let pause and stop messages in now and then; a query takes microseconds.
    if (i % 50 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  const architecture = answerArchitecture(config, searcher, space);
  const summary: SearchSummary = {
    evaluations: searcher.evaluations,
    distinctArchitectures: table.distinctArchitectures(queried),
    signal: signal.column,
    notes: [
      ...(signal.note ? [signal.note] : []),
      ...(searcher instanceof MdenasSearcher ? [mdenasConvergenceNote(searcher)] : []),
    ],
  };
  const returned = table.lookup(architecture.arch ?? '');
  const accuracy = table.signalOf(returned) / 100;
  const result = {
    type: 'result' as const,
    ...architecture,
    trainAccuracy: accuracy,
    valAccuracy: accuracy,
    seconds: (Date.now() - started) / 1000,
    summary,
  };
  emit({ type: 'snapshot', epoch: searcher.evaluations - 1, kind: 'genotype', payload: result.genotype });
  emit({ type: 'log', level: 'info', message: `Dry run finished: ${searcher.evaluations} ${searcher.evaluations === 1 ? 'query' : 'queries'}, ${summary.distinctArchitectures} distinct architecture${summary.distinctArchitectures === 1 ? '' : 's'}; ${architecture.arch} scores ${returned.cifar10.toFixed(2)}% CIFAR-10 test (rank ${returned.rank.toLocaleString('en-US')} of ${table.size.toLocaleString('en-US')}).` });
  emit(result);
  return { status: 'completed', result, evaluations: searcher.evaluations, trajectory };
}

/** Whether MdeNAS's distribution settled, and so how much its cell (the most likely one) can be trusted. */
function mdenasConvergenceNote(searcher: MdenasSearcher): string {
  const least = searcher.leastSettledEdge();
  return searcher.converged()
    ? `The distribution converged after ${searcher.evaluations} queries.`
    : `The distribution did not converge in ${searcher.evaluations} queries (its least settled edge's top op has p = ${least.toFixed(2)}): the cell is the most likely one so far, which can score below the best cell sampled. More queries or a higher distribution learning rate let it settle.`;
}

function budgetOf(config: SearchConfig): number {
  return tableQueries(config.strategy) ?? 0;
}

/** The best cell by the signal (random, evolution) or the cell MdeNAS's distribution derives. */
function answerArchitecture(config: SearchConfig, searcher: ArchitectureSearcher, space: SamplingSpace): SearchResultArchitecture {
  const impl = spaceArchitecture(config.space);
  const answer = searcher.answer();
  return 'selection' in answer ? impl.fromSelection(config.space, answer.selection, space.ops) : impl.fromWeights(config.space, answer.weights, space.ops);
}

async function writeCheckpoint(path: string, state: DryRunCheckpoint): Promise<{ path: string; size: number; checksum: string }> {
  const text = JSON.stringify(state);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
  return { path, size: Buffer.byteLength(text), checksum: createHash('sha256').update(text).digest('hex') };
}

function readCheckpoint(path: string): DryRunCheckpoint {
  if (!existsSync(path)) throw new Error(`The dry run's checkpoint ${path} is missing: start the dry run again (it takes seconds).`);
  let state: DryRunCheckpoint;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as DryRunCheckpoint;
  } catch (e) {
    throw new Error(`The dry run's checkpoint ${path} is unreadable (${(e as Error).message}): start the dry run again.`);
  }
  if (state?.kind !== 'dry-run' || state.version !== 1) throw new Error(`${path} is not a dry-run checkpoint: start the dry run again.`);
  return state;
}
