import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunEnvironment, TrainerEvent } from '../../../shared/events';
import { formatNb201Arch } from '../../../shared/spaces/nb201';
import { loadIdxPair } from '../data/idx';
import type { ImageSet, Normalization } from '../data/image-set';
import { validateMnistFolder } from '../data/mnist-family';
import { SPACE_ARCHITECTURES } from '../spaces/architectures';
import type { SearchOutcome } from '../strategies/registry';
import type { SearchControl } from '../strategies/one-shot-types';
import { RetrainSearch } from './retrain';
import { attachPool, type GradientPool } from '../parallel/gradient-pool';
import { startRunPool, verifiedEachEpoch } from '../parallel/run-pool';
import type { ResolvedThreads } from '../parallel/threads';

// A retrain run in the job's clothes (job.ts hands over once the training set and backend are ready): the
// test split, the stand-alone network, training, then the result with its evaluation and the exported model.

export interface RetrainJobInput {
  config: import('../../../shared/config').SearchConfig;
  data: { name: string; trainImages: string; testImages?: string; testLabels?: string };
  train: ImageSet;
  normalization: Normalization;
  inputShape: [number, number, number];
  environment: RunEnvironment;
  /** The threads it trains on (parallel/threads.ts); absent = one. */
  threads?: ResolvedThreads;
  runDir: string;
  resumeFrom?: string | null;
  /** Export folder; default <runDir>/model. */
  exportDir?: string | null;
  started: number;
  checkpointPath(epoch: number, stepInEpoch: number, globalStep: number): string;
}

export interface RetrainJobResult {
  outcome: SearchOutcome;
  result: Extract<TrainerEvent, { type: 'result' }> | null;
  environment: RunEnvironment;
}

/** The dataset's test split: the reference's files, or the test pair beside the training files. */
export function loadTestSet(data: RetrainJobInput['data'], classes: number): ImageSet {
  if (data.testImages && data.testLabels) return loadIdxPair(data.testImages, data.testLabels, { classes });
  const folder = dirname(data.trainImages);
  const found = existsSync(folder) ? validateMnistFolder(folder, { classes }).test : null;
  if (!found) {
    throw new Error(`${data.name} has no test split: a retrain reports accuracy on the test images. Import the dataset with its test images and labels (t10k-images / t10k-labels).`);
  }
  return loadIdxPair(found.images, found.labels, { classes });
}

export async function runRetrainJob(input: RetrainJobInput, emit: (e: TrainerEvent) => void, control: SearchControl): Promise<RetrainJobResult> {
  const { config, environment } = input;
  const test = loadTestSet(input.data, input.train.classes);
  let pool: GradientPool | null = null;
  const retrain = new RetrainSearch({
    config,
    data: { train: input.train, test, normalization: input.normalization },
    inputShape: input.inputShape,
    emit: verifiedEachEpoch(emit, () => pool?.verify(retrain.net)),
    checkpointPath: input.checkpointPath,
    exportDir: input.exportDir ?? join(input.runDir, 'model'),
  });
  try {
    if (input.resumeFrom) {
      retrain.restore(input.resumeFrom);
      emit({ type: 'log', level: 'info', message: `Resumed from the checkpoint in epoch ${retrain.epoch + 1}.` });
    } else {
      const arch = retrain.architecture;
      const extras = arch.space === 'darts' ? `, auxiliary head ${config.strategy.name === 'retrain' && config.strategy.auxiliary ? 'on' : 'off'}` : ' (the NAS-Bench-201 network has no auxiliary head or drop-path)';
      emit({
        type: 'log',
        level: 'info',
        message: `${input.data.name}: retraining on all ${input.train.count} training images, testing on ${test.count}; ${retrain.net.countParams().toLocaleString('en')} parameters${extras}; lr ${retrain.recipe.lr}, weight decay ${retrain.recipe.weightDecay}, cutout ${retrain.recipe.cutout ? 'on' : 'off'}; on ${environment.backend}`,
      });
    }
    const auxiliary = retrain.architecture.space === 'darts' && config.strategy.name === 'retrain' && config.strategy.auxiliary;
    const standalone = { architecture: retrain.architecture, auxiliary };
    pool = await startRunPool(config, input.threads ?? { threads: 1, reason: null }, { inputShape: input.inputShape, classes: input.train.classes, backend: environment.backend, standalone }, emit);
    if (pool) attachPool(retrain.net, pool);
    const outcome = await retrain.run(control);
    if (outcome.status !== 'completed') return { outcome, result: null, environment };
    emit({ type: 'log', level: 'info', message: 'Measuring latency and exporting the model…' });
    const evaluation = await retrain.evaluation();
    const arch = retrain.architecture;
    const architecture =
      arch.space === 'nb201'
        ? { genotype: [...arch.ops], arch: formatNb201Arch(arch.ops), nb201: SPACE_ARCHITECTURES.nb201.scoreCell(arch.ops) }
        : { genotype: arch.genotype, arch: null, nb201: null };
    const result = {
      type: 'result' as const,
      ...architecture,
      trainAccuracy: outcome.trainAccuracy,
      valAccuracy: outcome.valAccuracy,
      seconds: (Date.now() - input.started) / 1000,
      evaluation,
    };
    emit({ type: 'snapshot', epoch: outcome.epochsDone - 1, kind: 'genotype', payload: result.genotype });
    emit(result);
    return { outcome, result, environment };
  } finally {
    retrain.dispose();
    await pool?.dispose();
  }
}
