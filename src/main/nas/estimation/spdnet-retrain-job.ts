import type { SearchConfig, StrategyConfigOf } from '../../../shared/config';
import type { RunEnvironment, TrainerEvent } from '../../../shared/events';
import { SpdSpaceSchema } from '../../../shared/spaces/spd';
import { parseArchitecture, retrainRecipe } from '../../../shared/strategies/retrain';
import { balancedSpdSubset, loadSpdSet, type SpdDataReference } from '../data/spd-sets';
import type { SpdMatrixSet } from '../data/spd-import-set';
import { initBackend } from '../engine/backend';
import { loadCheckpoint, restoreVariables, saveCheckpoint } from '../engine/checkpoint';
import { Rng, hashSeed } from '../engine/rng';
import type { SearchOutcome } from '../strategies/registry';
import type { SearchControl } from '../strategies/one-shot-types';
import { buildSpdCellNet, buildSpdnet, spdnetSizes, type SpdNet } from './spdnet';
import { measureSpdLatency, SpdTrainer, type SpdTrainState } from './spdnet-train';

// A retrain on an SPD matrix set (job.ts sends a retrain of SPD data here): the derived SPDNetNAS cell's
// network, or the SPDNet baseline (option `network`), trained from scratch with Riemannian SGD on every
// training matrix and tested on the set's test split after each epoch (spdnet-train.ts, the same code path as
// `nas-studio retrain --space spd`). Events, checkpoints and the result with its evaluation are those of an
// image retrain, so the run view, history and Compare show both networks in one table.

export interface SpdRetrainJob {
  config: SearchConfig;
  data: SpdDataReference;
  resumeFrom?: string | null;
  appVersion: string;
  checkpointPath(epoch: number, stepInEpoch: number, globalStep: number): string;
}

/** The network a retrain config trains on a set: the searched cell's, or SPDNet on the same matrices. */
export function buildSpdRetrainNet(config: SearchConfig, set: SpdMatrixSet): SpdNet {
  const options = config.strategy as StrategyConfigOf<'retrain'>;
  const space = SpdSpaceSchema.parse(config.space);
  if (options.network === 'spdnet') return buildSpdnet(spdnetSizes(set.size), set.classes, new Rng(hashSeed(config.seed, 2)), space.reEigEps);
  const parsed = parseArchitecture(options.architecture);
  if (parsed.space !== 'spd') throw new Error(`'${set.name}' holds SPD matrices, but the architecture is not an SPD cell: retrain an SPDNetNAS search, or give a genotype of SPD ops.`);
  return buildSpdCellNet(space, parsed.genotype, set.size, set.classes, new Rng(hashSeed(config.seed, 1)));
}

export async function runSpdRetrainJob(
  job: SpdRetrainJob,
  emit: (e: TrainerEvent) => void,
  control: SearchControl,
): Promise<{ outcome: SearchOutcome; result: Extract<TrainerEvent, { type: 'result' }> | null; environment: RunEnvironment }> {
  const { config, data } = job;
  if (config.space.name !== 'spd') throw new Error(`'${data.name}' holds SPD matrices: retrain in the SPD space (an SPDNetNAS search's cell, or the SPDNet baseline).`);
  const options = config.strategy as StrategyConfigOf<'retrain'>;
  const full = loadSpdSet(data);
  // A training limit (a quick look) keeps a class-balanced subset; the test split stays whole.
  const set: SpdMatrixSet = { ...full, train: balancedSpdSubset(full.train, full.classes, full.size, config.trainLimit) };
  if (set.test.count === 0) throw new Error(`${set.name} has no test matrices; a retrain reports test accuracy. Import it with train/ and test/ folders, or with at least 5 matrices per class.`);
  const backend = await initBackend(config.backend);
  const environment: RunEnvironment = { appVersion: job.appVersion, ...backend };
  emit({ type: 'environment', environment });
  if (backend.fallbackReason && !job.resumeFrom) emit({ type: 'log', level: 'warn', message: backend.fallbackReason });
  const lr = retrainRecipe('spd', options).lr;
  const net = buildSpdRetrainNet(config, set);
  const trainer = new SpdTrainer(net, set, { epochs: options.epochs, batchSize: config.batchSize, lr, seed: config.seed });
  const save = async () => {
    const s = trainer.state;
    const info = await saveCheckpoint(job.checkpointPath(s.epoch, s.stepInEpoch, s.globalStep), trainer.checkpointTensors(), trainer.snapshot());
    emit({ type: 'checkpoint', epoch: s.epoch, ...info });
  };
  try {
    if (job.resumeFrom) {
      const ckpt = loadCheckpoint(job.resumeFrom);
      trainer.restore(ckpt.state as SpdTrainState);
      restoreVariables(ckpt, trainer.checkpointTensors());
      emit({ type: 'log', level: 'info', message: `Resumed from the checkpoint in epoch ${trainer.state.epoch + 1}.` });
    } else {
      emit({
        type: 'log',
        level: 'info',
        message: `${set.name}: retraining ${net.label} on all ${set.train.count} training matrices (${set.size}×${set.size}, ${set.classes} classes), testing on ${set.test.count}; ${net.countParams().toLocaleString('en')} parameters; Riemannian SGD at lr ${lr}, batch ${config.batchSize}; on ${backend.backend}`,
      });
    }
    const epochs = options.epochs;
    let epochStarted = Date.now();
    const signal = await trainer.run(control, {
      onStep: (r, s) => {
        if (r.count > 0) emit({ type: 'metrics', step: s.globalStep, epoch: s.epoch, values: { train_loss: r.loss, train_acc: r.correct / r.count, lr } });
        emit({ type: 'progress', epoch: s.epoch, epochs, step: s.stepInEpoch, stepsPerEpoch: trainer.stepsPerEpoch });
      },
      onEpoch: async (r, s) => {
        const values = { epoch_train_loss: r.trainLoss, epoch_train_acc: r.trainAccuracy, test_acc: r.testAccuracy, epoch_seconds: (Date.now() - epochStarted) / 1000 };
        emit({ type: 'metrics', step: s.globalStep, epoch: r.epoch, values });
        emit({ type: 'log', level: 'info', message: `epoch ${r.epoch + 1}/${epochs}: train acc ${(100 * r.trainAccuracy).toFixed(2)}%, test acc ${(100 * r.testAccuracy).toFixed(2)}%` });
        await save();
        epochStarted = Date.now();
      },
    });
    const last = trainer.state.epochs.at(-1);
    const outcome: SearchOutcome = {
      status: signal === 'completed' ? 'completed' : signal === 'pause' ? 'paused' : 'stopped',
      ops: [],
      weights: {},
      trainAccuracy: last?.trainAccuracy ?? 0,
      valAccuracy: last?.testAccuracy ?? 0,
      epochsDone: trainer.state.epoch,
      wallEpochs: trainer.state.epoch,
    };
    if (signal === 'pause') await save();
    if (outcome.status !== 'completed') return { outcome, result: null, environment };
    emit({ type: 'log', level: 'info', message: 'Measuring latency…' });
    const latency = await measureSpdLatency(net, set);
    const result = trainer.result();
    // The baseline has no cell: its genotype is null, its name says what it is.
    const genotype = options.network === 'spdnet' ? null : parseArchitecture(options.architecture);
    const evaluation = { testAccuracy: result.testAccuracy, params: result.params, flops: net.countMacs(), latencyMs: latency.medianMs, latencyBackend: latency.backend, exportDir: null };
    const event = {
      type: 'result' as const,
      genotype: genotype && genotype.space === 'spd' ? genotype.genotype : null,
      arch: options.network === 'spdnet' ? net.label : null,
      nb201: null,
      trainAccuracy: outcome.trainAccuracy,
      valAccuracy: outcome.valAccuracy,
      seconds: result.seconds,
      evaluation,
    };
    if (event.genotype) emit({ type: 'snapshot', epoch: outcome.epochsDone - 1, kind: 'genotype', payload: event.genotype });
    emit(event);
    return { outcome, result: event, environment };
  } finally {
    net.dispose();
  }
}
