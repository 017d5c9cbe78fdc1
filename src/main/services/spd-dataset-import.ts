// The SPD side of the dataset list: an imported folder (or a generated set) is checked in full, packed into
// the app's own folder of .npy arrays (nas/data/spd-import-set.ts) inside a temporary folder under the data
// folder, and only then renamed into place, as image imports are. Samples for the Datasets view come with
// their eigenvalues (float64 Jacobi), so the person sees the spectra the network will see.
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset, SpdDatasetInfo, SpdSample } from '../../shared/api';
import { symEig } from '../nas/engine/spd/jacobi';
import { readSpdFolder, type SpdSource } from '../nas/data/spd-import';
import { BUILTIN_SPD_SETS } from '../nas/data/spd-sets';
import { readSpdSetFiles, spdClassCounts, spdSetChecksum, writeSpdSetFiles, type SpdMatrixSet } from '../nas/data/spd-import-set';
import type { DatasetInput } from '../store/dataset-repository';

/** Where an SPD set's packed folder is: the `location` column of an SPD dataset. */
export interface SpdLocation {
  dir: string;
}

export const SPD_TEMP_PREFIX = '.import-';
/** At most this many classes are sampled for the view (HDM05 has 117). */
const SAMPLED_CLASSES = 12;

export interface StagedSpdSet {
  /** The row to add once the folder is in place (location filled by commit). */
  input: (location: SpdLocation) => DatasetInput;
  checksum: string;
  commit(finalDir: string): Promise<SpdLocation>;
  discard(): Promise<void>;
}

/** Packs a checked set into a temporary folder under `datasetsDir`. */
export async function stageSpdSet(set: SpdMatrixSet, info: SpdDatasetInfo, datasetsDir: string): Promise<StagedSpdSet> {
  await mkdir(datasetsDir, { recursive: true, mode: 0o700 });
  let dir: string | null = await mkdtemp(join(datasetsDir, SPD_TEMP_PREFIX));
  const discard = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = null;
  };
  try {
    await writeSpdSetFiles(dir, set);
  } catch (e) {
    await discard();
    throw e;
  }
  const checksum = spdSetChecksum(set);
  return {
    checksum,
    input: (location) => ({
      name: set.name,
      kind: 'spd',
      format: 'spd-npy',
      location: JSON.stringify(location),
      shape: [set.size, set.size],
      classes: set.classes,
      trainCount: set.train.count,
      testCount: set.test.count,
      classCounts: spdClassCounts(set.train, set.classes),
      checksum,
      spd: info,
    }),
    async commit(finalDir) {
      await rename(dir!, finalDir);
      dir = null;
      return { dir: finalDir };
    },
    discard,
  };
}

/** Reads and checks a person's folder; see nas/data/spd-import.ts for the layouts it takes. */
export async function readSpdImport(folder: string, source: SpdSource, name: string): Promise<{ set: SpdMatrixSet; info: SpdDatasetInfo }> {
  const { set, facts } = await readSpdFolder(folder, source, name);
  return { set, info: { ...facts, classNames: set.classNames } };
}

/** A built-in SPD set, generated (deterministically) to be packed into the data folder like an import. */
export function builtinSpdSet(key: string): [SpdMatrixSet, SpdDatasetInfo] {
  const builtin = BUILTIN_SPD_SETS[key];
  const set = builtin.generate();
  return [{ ...set, name: builtin.label }, { source: 'synthetic', formats: [], split: 'generated', classNames: set.classNames, credit: builtin.credit }];
}

export function spdLocation(d: Dataset): SpdLocation {
  return JSON.parse(d.location) as SpdLocation;
}

/** `perClass` training matrices of each of the first classes, with their eigenvalues (ascending). */
export async function spdSamples(d: Dataset, perClass: number): Promise<SpdSample[]> {
  const set = await readSpdSetFiles(spdLocation(d).dir, d.name);
  const n = set.size;
  const taken = new Array<number>(set.classes).fill(0);
  const out: SpdSample[] = [];
  for (let i = 0; i < set.train.count; i++) {
    const label = set.train.labels[i];
    if (label >= SAMPLED_CLASSES || taken[label] >= perClass) continue;
    taken[label]++;
    const values = set.train.matrices.subarray(i * n * n, (i + 1) * n * n);
    out.push({ label, size: n, values: Array.from(values), eigenvalues: Array.from(symEig(values, n, 1).values) });
  }
  return out.sort((a, b) => a.label - b.label);
}
