// Reading a folder of SPD data into an SpdMatrixSet, every matrix checked (spd-import-checks.ts). Layout:
//
//   FOLDER/<class>/<file>                 one sub-folder per class, sorted by name = label order; one matrix in
//                                         five of each class (the 5th, 10th, … by file name) is held out as test
//   FOLDER/train/<class>/…, FOLDER/test/<class>/…   the person's own split (test classes ⊆ train classes)
//
// A file is `.npy` (float32/float64, C order) or `.csv` (no header). With source 'matrices' it holds one n × n
// matrix (a 2-D array or table) or, for .npy, a stack N × n × n. With source 'sequences' it holds one feature
// sequence, features × time, turned into a covariance descriptor (spd-import-covariance.ts). The first
// problem anywhere refuses the whole set, naming the file and the property that failed.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { DatasetFileError } from './errors';
import { checkRegularFile, fileAccessError } from './file-checks';
import { checkSpdMatrix } from './spd-import-checks';
import { covarianceDescriptor } from './spd-import-covariance';
import { parseCsvTable } from './spd-import-csv';
import { parseNpy } from './spd-import-npy';
import type { SpdMatrixSet, SpdSplit } from './spd-import-set';

export type SpdSource = 'matrices' | 'sequences';

/** Bounds on what an import may make the app hold: HDM05 (93×93, 2,083 matrices) fits with room to spare. */
export const MAX_SPD_SIZE = 400;
export const MAX_SPD_MATRICES = 200_000;
export const MAX_SPD_FILE_BYTES = 1024 ** 3;
const MAX_CLASSES = 255;
/** Without train/ and test/ folders, every HOLD_OUT-th matrix of a class (by file order) is a test matrix. */
export const HOLD_OUT = 5;

export interface SpdImportFacts {
  source: SpdSource;
  /** File formats met, e.g. ['csv'] or ['npy']. */
  formats: string[];
  /** 'folders' = the person's train/ and test/; 'held-out' = one in HOLD_OUT per class. */
  split: 'folders' | 'held-out';
  /** Features per time step, for sequences. */
  features?: number;
}

interface Matrix {
  values: Float64Array;
  file: string;
}

const LAYOUT = 'Put each class in its own sub-folder of the dataset folder (optionally under train/ and test/).';

async function visibleEntries(dir: string) {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    throw fileAccessError(dir, e);
  }
}

/** The matrices of one file, checked; `n` is the size fixed by the first file (null before it). */
function matricesOf(bytes: Buffer, file: string, source: SpdSource, n: number | null): { size: number; matrices: Float64Array[] } {
  const ext = extname(file).toLowerCase();
  const table = ext === '.npy' ? parseNpy(bytes, file) : (() => {
    const t = parseCsvTable(bytes.toString('utf8'), file);
    return { shape: [t.rows, t.cols], data: t.data };
  })();
  const { shape, data } = table;
  if (source === 'sequences') {
    if (shape.length !== 2) throw new DatasetFileError(file, `holds an array of shape (${shape.join(', ')}); a feature sequence is 2-D, features × time`, 'Save one sequence per file as a features × time array.');
    const [d, T] = shape;
    if (n !== null && d !== n) throw new DatasetFileError(file, `has ${d} features per time step where the files before it have ${n}`, 'Every sequence of a set needs the same features.');
    if (T < 2) throw new DatasetFileError(file, `holds ${T} time step${T === 1 ? '' : 's'}; a covariance needs at least 2 (rows are features, columns are time)`, 'Check the orientation: features × time.');
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new DatasetFileError(file, `holds a non-finite value (NaN or infinity) at feature ${Math.floor(i / T) + 1}, step ${(i % T) + 1}`, 'Fill or drop the missing values first.');
    }
    let spread = 0;
    for (let i = 0; i < d; i++) for (let t = 1; t < T; t++) spread = Math.max(spread, Math.abs(data[i * T + t] - data[i * T]));
    if (spread === 0) throw new DatasetFileError(file, 'every feature is constant over time, so its covariance is zero (not positive definite)', 'Drop the file or record a sequence that varies.');
    const sigma = covarianceDescriptor(data, d, T);
    checkSpdMatrix(sigma, d, { file });
    return { size: d, matrices: [sigma] };
  }
  const stacked = shape.length === 3 && ext === '.npy';
  if (!(shape.length === 2 || stacked) || shape[shape.length - 1] !== shape[shape.length - 2]) {
    throw new DatasetFileError(
      file,
      `holds an array of shape (${shape.join(', ')}), not a square matrix${ext === '.npy' ? ' (n × n) or a stack of them (N × n × n)' : ' (as many values per row as rows)'}`,
      'Each file holds SPD matrices; for feature sequences choose "feature sequences" as the source.',
    );
  }
  const size = shape[shape.length - 1];
  if (size < 2 || size > MAX_SPD_SIZE) throw new DatasetFileError(file, `holds ${size}×${size} matrices; NAS Studio takes sizes 2 to ${MAX_SPD_SIZE}`, 'Reduce the dimension first (e.g. fewer features).');
  if (n !== null && size !== n) throw new DatasetFileError(file, `holds ${size}×${size} matrices where the files before it hold ${n}×${n}`, 'Every matrix of a set must have the same size.');
  const count = stacked ? shape[0] : 1;
  const matrices: Float64Array[] = [];
  for (let k = 0; k < count; k++) {
    const m = data.subarray(k * size * size, (k + 1) * size * size);
    checkSpdMatrix(m, size, stacked ? { file, index: k } : { file });
    matrices.push(m);
  }
  return { size, matrices };
}

/** Class name → matrices, read from one folder of class sub-folders. */
async function readClasses(dir: string, source: SpdSource, state: { n: number | null; total: number; formats: Set<string> }): Promise<Map<string, Matrix[]>> {
  const out = new Map<string, Matrix[]>();
  for (const entry of await visibleEntries(dir)) {
    const path = join(dir, entry.name);
    if (!entry.isDirectory()) {
      if (/\.(npy|csv)$/i.test(entry.name)) throw new DatasetFileError(path, 'lies beside the class folders, so it has no class', LAYOUT);
      continue; // a README or licence beside the classes
    }
    const matrices: Matrix[] = [];
    for (const f of await visibleEntries(path)) {
      const file = join(path, f.name);
      const ext = extname(f.name).toLowerCase();
      if (f.isDirectory() || (ext !== '.npy' && ext !== '.csv')) {
        throw new DatasetFileError(file, f.isDirectory() ? 'is a folder inside a class folder' : 'is neither a .npy nor a .csv file', 'A class folder holds only .npy or .csv files; move the others out.');
      }
      const size = await checkRegularFile(file);
      if (size > MAX_SPD_FILE_BYTES) throw new DatasetFileError(file, `is ${(size / 1024 ** 2).toFixed(0)} MB, more than one SPD file may be (${MAX_SPD_FILE_BYTES / 1024 ** 2} MB)`, 'Split it into several files.');
      const bytes = await readFile(file).catch((e: unknown) => Promise.reject(fileAccessError(file, e)));
      const read = matricesOf(bytes, file, source, state.n);
      state.n = read.size;
      state.formats.add(ext.slice(1));
      state.total += read.matrices.length;
      if (state.total > MAX_SPD_MATRICES) throw new DatasetFileError(file, `brings the set past ${MAX_SPD_MATRICES} matrices`, 'Import a subset.');
      for (const values of read.matrices) matrices.push({ values, file });
    }
    if (matrices.length === 0) throw new DatasetFileError(path, 'is a class folder without any .npy or .csv file', 'Remove the empty folder or add its matrices.');
    out.set(entry.name, matrices);
  }
  return out;
}

function toSplit(byClass: Map<string, Matrix[]>[], classNames: string[], n: number, keep: (k: number) => boolean): SpdSplit {
  const picked: { label: number; values: Float64Array }[] = [];
  for (const map of byClass) {
    classNames.forEach((name, label) => (map.get(name) ?? []).forEach((m, k) => keep(k) && picked.push({ label, values: m.values })));
  }
  const matrices = new Float32Array(picked.length * n * n);
  const labels = new Uint8Array(picked.length);
  picked.forEach((p, i) => {
    matrices.set(p.values, i * n * n);
    labels[i] = p.label;
  });
  return { matrices, labels, count: picked.length };
}

/** Reads and checks a whole SPD folder (see the file comment). Errors are DatasetFileErrors naming the file. */
export async function readSpdFolder(root: string, source: SpdSource, name: string): Promise<{ set: SpdMatrixSet; facts: SpdImportFacts }> {
  const s = await stat(root).catch((e: unknown) => Promise.reject(fileAccessError(root, e)));
  if (!s.isDirectory()) throw new DatasetFileError(root, 'is a file, not a folder', LAYOUT);
  const state = { n: null as number | null, total: 0, formats: new Set<string>() };
  const top = (await visibleEntries(root)).filter((e) => e.isDirectory()).map((e) => e.name);
  const splitFolders = top.length === 2 && top.some((t) => t.toLowerCase() === 'train') && top.some((t) => t.toLowerCase() === 'test');
  let train: Map<string, Matrix[]>;
  let test: Map<string, Matrix[]> | null = null;
  if (splitFolders) {
    train = await readClasses(join(root, top.find((t) => t.toLowerCase() === 'train')!), source, state);
    const testDir = join(root, top.find((t) => t.toLowerCase() === 'test')!);
    test = await readClasses(testDir, source, state);
    const unknown = [...test.keys()].find((c) => !train.has(c));
    if (unknown !== undefined) throw new DatasetFileError(join(testDir, unknown), `is a test class with no training folder of the same name`, 'Name the test class folders as the training ones.');
  } else {
    train = await readClasses(root, source, state);
  }
  const classNames = [...train.keys()];
  if (classNames.length < 2) throw new DatasetFileError(root, `holds ${classNames.length} class folder${classNames.length === 1 ? '' : 's'}; a classification set needs at least 2`, LAYOUT);
  if (classNames.length > MAX_CLASSES) throw new DatasetFileError(root, `holds ${classNames.length} class folders; NAS Studio takes up to ${MAX_CLASSES}`, 'Merge or drop classes.');
  const n = state.n!;
  const held = (k: number) => k % HOLD_OUT === HOLD_OUT - 1;
  const set: SpdMatrixSet = {
    name,
    size: n,
    classes: classNames.length,
    classNames,
    train: test ? toSplit([train], classNames, n, () => true) : toSplit([train], classNames, n, (k) => !held(k)),
    test: test ? toSplit([test], classNames, n, () => true) : toSplit([train], classNames, n, held),
  };
  const facts: SpdImportFacts = { source, formats: [...state.formats].sort(), split: test ? 'folders' : 'held-out', ...(source === 'sequences' ? { features: n } : {}) };
  return { set, facts };
}
