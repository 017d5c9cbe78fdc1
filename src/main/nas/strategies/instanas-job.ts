import type { SearchConfig } from '../../../shared/config';
import type { RunEnvironment, TrainerEvent } from '../../../shared/events';
import type { ImageSet, Normalization } from '../data/image-set';
import { loadTestSet } from '../estimation/retrain-job';
import type { SearchOutcome } from './registry';
import type { SearchControl } from './one-shot-types';
import { InstanasSearch } from './instanas';
import { instanasFinalResult } from './instanas-result';

// An InstaNAS run in the job's clothes (job.ts hands over once the training set and backend are ready): the
// test split, the search (meta-graph, controller, baseline), then the result with its `instanas` figures.

export interface InstanasJobInput {
  config: SearchConfig;
  data: { name: string; trainImages: string; testImages?: string; testLabels?: string };
  train: ImageSet;
  normalization: Normalization;
  inputShape: [number, number, number];
  environment: RunEnvironment;
  runDir: string;
  resumeFrom?: string | null;
  started: number;
  checkpointPath(epoch: number, stepInEpoch: number, globalStep: number): string;
}

export async function runInstanasJob(
  input: InstanasJobInput,
  emit: (e: TrainerEvent) => void,
  control: SearchControl,
): Promise<{ outcome: SearchOutcome; result: Extract<TrainerEvent, { type: 'result' }> | null; environment: RunEnvironment }> {
  const { config, environment } = input;
  const test = loadTestSet(input.data, input.train.classes);
  const search = new InstanasSearch({
    config,
    data: { train: input.train, test, normalization: input.normalization },
    inputShape: input.inputShape,
    environment,
    emit,
    runDir: input.runDir,
    checkpointPath: input.checkpointPath,
  });
  try {
    if (input.resumeFrom) {
      search.restore(input.resumeFrom);
      emit({ type: 'log', level: 'info', message: `Resumed from the checkpoint in epoch ${search.epoch + 1}.` });
    } else {
      const o = search.options;
      emit({
        type: 'log',
        level: 'info',
        message: `${input.data.name}: ${input.train.count} training images split ${config.trainPortion}/${1 - config.trainPortion} (meta-graph / controller), ${test.count} test images; InstaNAS on a ${search.graph.blocks.length}-block meta-graph at width ${config.space.name === 'mobilenet' ? config.space.widthMult : 1}: ${o.pretrainEpochs} pretraining + ${o.epochs} search epochs, then the baseline for ${o.pretrainEpochs + o.epochs}; on ${environment.backend}`,
      });
    }
    const outcome = await search.run(control);
    if (outcome.status !== 'completed') return { outcome, result: null, environment };
    const final = await instanasFinalResult(search, test, (message) => emit({ type: 'log', level: 'info', message }));
    const r = final.result;
    emit({
      type: 'log',
      level: 'info',
      message: `InstaNAS: test accuracy ${(100 * r.testAccuracy).toFixed(2)}% at ${r.policy.meanLatency.toFixed(2)} ± ${r.policy.stdLatency.toFixed(2)} ms (${r.policy.distinct} distinct policies); baseline ${(100 * r.baselineModel.testAccuracy).toFixed(2)}% at ${r.baselineModel.latency.toFixed(2)} ms; all ops ${r.latency.allOps.toFixed(2)} ms`,
    });
    const result = {
      type: 'result' as const,
      genotype: final.genotype,
      arch: null,
      nb201: null,
      trainAccuracy: outcome.trainAccuracy,
      valAccuracy: outcome.valAccuracy,
      seconds: (Date.now() - input.started) / 1000,
      instanas: r,
    };
    emit({ type: 'snapshot', epoch: outcome.epochsDone - 1, kind: 'genotype', payload: result.genotype });
    emit(result);
    return { outcome, result, environment };
  } finally {
    search.dispose();
  }
}
