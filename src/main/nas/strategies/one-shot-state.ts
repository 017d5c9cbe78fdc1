import { describeConfigDifferences, type SearchConfig } from '../../../shared/config';
import { Batcher, EVAL_PREPROCESSING, SEARCH_AUGMENTATION, type BatcherOptions } from '../data/batcher';
import { splitTrainVal, type ImageSet, type Normalization } from '../data/image-set';
import { loadCheckpoint, type LoadedCheckpoint } from '../engine/checkpoint';
import type { Adam, Sgd } from '../engine/optim';
import { hashSeed } from '../engine/rng';
import type { Supernet } from '../engine/supernet';
import type * as tf from '../engine/tf';
import type { DartsConfig, DartsState } from './one-shot-types';

// What a one-shot search's state is made of: its data streams (the train/val split and their batchers, seeded
// from the run's seed) and the tensors and JSON a checkpoint holds for an exact resume.

export function searchData(config: DartsConfig, data: { train: ImageSet; normalization: Normalization }) {
  const split = splitTrainVal(data.train, config.trainPortion, hashSeed(config.seed, 11));
  const aug = config.augment ? SEARCH_AUGMENTATION : {};
  const common = { batchSize: config.batchSize, normalization: data.normalization, ...aug };
  const batcherOptions: { train: BatcherOptions; val: BatcherOptions } = {
    train: { ...common, seed: hashSeed(config.seed, 12) },
    val: { ...common, seed: hashSeed(config.seed, 13) },
  };
  const evalOptions: BatcherOptions = {
    batchSize: Math.max(config.batchSize, 128),
    seed: 0,
    shuffle: false,
    normalization: data.normalization,
    ...(config.augment ? EVAL_PREPROCESSING : {}),
  };
  return {
    batcherOptions,
    trainBatches: new Batcher(split.train, batcherOptions.train),
    valBatches: new Batcher(split.val, batcherOptions.val),
    valSet: split.val,
    evalOptions,
  };
}

/** Every tensor a checkpoint must hold: weights, BN buffers, α, SGD momentum and Adam moments, by stable keys. */
export function searchCheckpointTensors(net: Supernet, sgd: Sgd, adam: Adam): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [k, v] of net.params.trainable) out.set(`w/${k}`, v);
  for (const [k, v] of net.params.buffers) out.set(`buf/${k}`, v);
  for (const [k, v] of net.alphas) out.set(`alpha/${k}`, v);
  const byVarName = new Map([...net.params.trainable].map(([k, v]) => [v.name, k]));
  for (const [k, v] of sgd.stateTensors()) out.set(k.replace(/\/(.*)$/, (_, n: string) => `/${byVarName.get(n) ?? n}`), v);
  const alphaKey = new Map([...net.alphas].map(([k, v]) => [v.name, k]));
  for (const [k, v] of adam.stateTensors()) out.set(k.replace(/\/(.*)$/, (_, n: string) => `/${alphaKey.get(n) ?? n}`), v);
  return out;
}

/** Reads a search checkpoint; refuses one of another engine or written under other settings. */
export function loadSearchCheckpoint(path: string, runConfig: SearchConfig | undefined): { ckpt: LoadedCheckpoint; state: DartsState } {
  const ckpt = loadCheckpoint(path);
  const state = ckpt.state as DartsState;
  if (!state || state.version !== 1) throw new Error(`Checkpoint ${path} was not written by a DARTS search.`);
  const differences = state.runConfig && runConfig ? describeConfigDifferences(state.runConfig, runConfig) : [];
  if (differences.length) {
    throw new Error(`Checkpoint ${path} belongs to a search with other settings, so it cannot continue this one: ${differences.join('; ')}. Restart the run, or clone it with the checkpoint's settings.`);
  }
  return { ckpt, state };
}
