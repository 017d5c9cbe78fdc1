import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Rng } from '../engine/rng';
import { readSpdSetFilesSync, type SpdMatrixSet, type SpdSplit } from './spd-import-set';
import { SPD_SYNTHETIC_CREDIT, SPD_SYNTHETIC_NAME, generateSpdSynthetic } from './spd-synthetic';

// SPD datasets for a search. Every source yields one SpdMatrixSet (spd-import-set.ts: N × n × n float32
// matrices + uint8 labels, train and test): a built-in set generated in memory, or a folder of packed arrays
// (what an import writes into the data folder). A job names its set with a plain-JSON SpdDataReference, so it
// crosses to the training process; `loadSpdSet` turns it into matrices there.

export interface SpdDataReference {
  kind: 'spd';
  /** Display name. */
  name: string;
  /** A built-in set (BUILTIN_SPD_SETS key) … */
  builtin?: string;
  /** … or a folder of packed arrays (train-matrices.npy, train-labels.npy, …, classes.json). */
  packedDir?: string;
}

export interface BuiltinSpdSet {
  label: string;
  credit: string;
  generate(): SpdMatrixSet;
}

/** Built-in SPD sets by the name the CLI and the trainer use. Adding one: a generator and a line here. */
export const BUILTIN_SPD_SETS: Record<string, BuiltinSpdSet> = {
  [SPD_SYNTHETIC_NAME]: { label: 'Synthetic RADAR-like SPD set', credit: SPD_SYNTHETIC_CREDIT, generate: generateSpdSynthetic },
};

const PACKED_MARKER = 'train-matrices.npy';

/**
 * An SPD dataset named on the command line: a built-in set's name, or a folder of packed arrays. Null when the
 * name is neither (then it is some other kind of dataset, or a folder the SPD import must read first).
 */
export function resolveSpdDataReference(nameOrPath: string): SpdDataReference | null {
  const key = nameOrPath.toLowerCase();
  if (BUILTIN_SPD_SETS[key]) return { kind: 'spd', name: BUILTIN_SPD_SETS[key].label, builtin: key };
  if (existsSync(nameOrPath) && statSync(nameOrPath).isDirectory() && existsSync(join(nameOrPath, PACKED_MARKER))) {
    return { kind: 'spd', name: basename(nameOrPath) || nameOrPath, packedDir: nameOrPath };
  }
  return null;
}

export function loadSpdSet(ref: SpdDataReference): SpdMatrixSet {
  if (ref.builtin) {
    const set = BUILTIN_SPD_SETS[ref.builtin];
    if (!set) throw new Error(`Unknown built-in SPD dataset '${ref.builtin}'; built in: ${Object.keys(BUILTIN_SPD_SETS).join(', ')}.`);
    return set.generate();
  }
  if (ref.packedDir) return readSpdSetFilesSync(ref.packedDir, ref.name);
  throw new Error(`The SPD dataset '${ref.name}' names neither a built-in set nor a folder.`);
}

/** A class-balanced subset of about `limit` matrices (first ones of each class, in order), as balancedSubset. */
export function balancedSpdSubset(split: SpdSplit, classes: number, size: number, limit: number): SpdSplit {
  if (limit <= 0 || limit >= split.count) return split;
  const quota = Array.from({ length: classes }, (_, c) => Math.floor(limit / classes) + (c < limit % classes ? 1 : 0));
  const indices: number[] = [];
  for (let i = 0; i < split.count; i++) {
    if (quota[split.labels[i]] > 0) {
      quota[split.labels[i]]--;
      indices.push(i);
    }
  }
  return subsetSpd(split, size, indices);
}

export function subsetSpd(split: SpdSplit, size: number, indices: ArrayLike<number>): SpdSplit {
  const m = size * size;
  const matrices = new Float32Array(indices.length * m);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    matrices.set(split.matrices.subarray(indices[k] * m, (indices[k] + 1) * m), k * m);
    labels[k] = split.labels[indices[k]];
  }
  return { matrices, labels, count: indices.length };
}

/** The seeded 50/50 (or `portion`) split of a search into the weights' and α's parts, as splitTrainVal. */
export function splitSpdTrainVal(split: SpdSplit, size: number, portion: number, seed: number): { train: SpdSplit; val: SpdSplit } {
  const nTrain = Math.round(portion * split.count);
  if (nTrain === 0 || nTrain === split.count) throw new Error(`A ${portion} split of ${split.count} matrices leaves one part empty; use more matrices.`);
  const perm = new Rng(seed).permutation(split.count);
  return { train: subsetSpd(split, size, perm.slice(0, nTrain).sort()), val: subsetSpd(split, size, perm.slice(nTrain).sort()) };
}
