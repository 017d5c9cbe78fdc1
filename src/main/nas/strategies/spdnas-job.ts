import { trainingSetProblem, type SearchConfig, type StrategyConfigOf } from '../../../shared/config';
import type { RunEnvironment, TrainerEvent } from '../../../shared/events';
import { SPACE_DESCRIPTORS } from '../../../shared/spaces/registry';
import { STRATEGY_DESCRIPTORS } from '../../../shared/strategies/registry';
import { balancedSpdSubset, loadSpdSet, type SpdDataReference } from '../data/spd-sets';
import { initBackend } from '../engine/backend';
import { Rng, hashSeed } from '../engine/rng';
import { spaceImplementation } from '../spaces/registry';
import type { SpdSupernet } from '../spaces/spd';
import type { SearchOutcome } from './registry';
import { SpdnasSearch } from './spdnas';
import type { SearchControl } from './one-shot-types';

// A search on an SPD matrix set, end to end (job.ts sends SPD datasets here): the matrices are not images, so
// the data, the network's input and the strategy's batches differ from the image path; events, checkpoints and
// the result are the same.

export interface SpdSearchJob {
  config: SearchConfig;
  data: SpdDataReference;
  resumeFrom?: string | null;
  appVersion: string;
  checkpointPath(epoch: number, stepInEpoch: number, globalStep: number): string;
}

export async function runSpdSearchJob(
  job: SpdSearchJob,
  emit: (e: TrainerEvent) => void,
  control: SearchControl,
): Promise<{ outcome: SearchOutcome; result: Extract<TrainerEvent, { type: 'result' }> | null; environment: RunEnvironment }> {
  const started = Date.now();
  const { config, data } = job;
  if (config.space.name !== 'spd' || config.strategy.name !== 'spdnas') {
    throw new Error(`'${data.name}' holds SPD matrices: search it in the SPD space with SPDNetNAS (--space spd --strategy spdnas), not ${SPACE_DESCRIPTORS[config.space.name].label} with ${STRATEGY_DESCRIPTORS[config.strategy.name].label}.`);
  }
  const set = loadSpdSet(data);
  const train = balancedSpdSubset(set.train, set.classes, set.size, config.trainLimit);
  const tooFew = trainingSetProblem(0, set.classes, train.count);
  if (tooFew) throw new Error(tooFew.replace(/images/g, 'matrices'));
  const backend = await initBackend(config.backend);
  const environment: RunEnvironment = { appVersion: job.appVersion, ...backend };
  emit({ type: 'environment', environment });
  if (backend.fallbackReason && !job.resumeFrom) emit({ type: 'log', level: 'warn', message: backend.fallbackReason });
  const options = config.strategy as StrategyConfigOf<'spdnas'>;
  if (!job.resumeFrom) {
    emit({
      type: 'log',
      level: 'info',
      message: `${data.name}: ${train.count} training matrices (${set.size}×${set.size}, ${set.classes} classes), split ${config.trainPortion}/${1 - config.trainPortion} for w/α; SPD space, SPDNetNAS ${options.order === 1 ? 'first' : 'second'} order on ${backend.backend}`,
    });
  }
  const space = spaceImplementation(config.space);
  const net = space.build(config.space, [set.size, set.size, 1], set.classes, new Rng(hashSeed(config.seed, 1))) as SpdSupernet;
  const search = new SpdnasSearch({ config, options, net, train, size: set.size, emit, checkpointPath: job.checkpointPath });
  try {
    if (job.resumeFrom) {
      search.restore(job.resumeFrom);
      emit({ type: 'log', level: 'info', message: `Resumed from the checkpoint in epoch ${search.epoch + 1}.` });
    }
    const outcome = await search.run(control);
    if (outcome.status !== 'completed') return { outcome, result: null, environment };
    const architecture = space.fromWeights(config.space, outcome.weights, outcome.ops);
    const result = {
      type: 'result' as const,
      ...architecture,
      trainAccuracy: outcome.trainAccuracy,
      valAccuracy: outcome.valAccuracy,
      seconds: (Date.now() - started) / 1000,
    };
    emit({ type: 'snapshot', epoch: outcome.epochsDone - 1, kind: 'genotype', payload: result.genotype });
    emit(result);
    return { outcome, result, environment };
  } finally {
    search.dispose();
  }
}
