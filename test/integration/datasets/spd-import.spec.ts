import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetImportResultSchema } from '../../../src/shared/api';
import { readSpdSetFilesSync } from '../../../src/main/nas/data/spd-import-set';
import { loadSpdSet, type SpdDataReference } from '../../../src/main/nas/data/spd-sets';
import type { SearchConfig } from '../../../src/shared/config';
import { DatasetsService } from '../../../src/main/services/datasets-service';
import { Store } from '../../../src/main/store/store';
import { tempDir } from './fixtures';
import { csvFile, npyFile, seeded, spdMatrix, toRows } from './spd-fixtures';

// SPD folders imported through DatasetsService on real files, a real SQLite store and a real data folder:
// good folders of .npy and .csv matrices and of feature sequences are packed and read back; each corrupt
// case refuses the whole set, naming the file and the problem, and leaves nothing behind.

const CLASSES = ['drone', 'person', 'vehicle'];

describe('SPD dataset import', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let service: DatasetsService;
  let dataDir: string;
  let src: string;
  const datasetsDir = () => join(dataDir, 'datasets');
  const entries = () => (existsSync(datasetsDir()) ? readdirSync(datasetsDir()) : []);

  beforeEach(() => {
    tmp = tempDir('nas-spd-import-');
    dataDir = join(tmp.dir, 'data');
    src = join(tmp.dir, 'source');
    mkdirSync(dataDir);
    store = Store.open(join(dataDir, 'nas-studio.db'));
    service = new DatasetsService(store, dataDir);
  });
  afterEach(() => {
    store.close();
    tmp.dispose();
  });

  async function refusal(p: Promise<unknown>): Promise<Error> {
    const e = await p.then(
      () => null,
      (err: unknown) => err as Error,
    );
    if (!e) throw new Error('expected the import to be refused');
    return e;
  }

  /** 3 classes × `per` matrices of n×n, one .npy per matrix (float64); returns the matrices by class. */
  function npyFolder(root: string, n: number, per: number): number[][][] {
    const rand = seeded(7);
    return CLASSES.map((c) =>
      Array.from({ length: per }, (_, k) => {
        const m = spdMatrix(n, rand);
        npyFile(join(root, c, `m${String(k).padStart(2, '0')}.npy`), [n, n], m);
        return m;
      }),
    );
  }

  it('imports class folders of float64 .npy matrices, holds out one in five per class, and reads the packed copy back', async () => {
    const byClass = npyFolder(src, 6, 5);
    const d = await service.importSpd({ name: 'Radar-like', folder: src, source: 'matrices' });
    expect(DatasetImportResultSchema.parse(d)).toEqual(d);
    expect(d).toMatchObject({ kind: 'spd', shape: [6, 6], classes: 3, trainCount: 12, testCount: 3, classCounts: [4, 4, 4], alreadyImported: false, classNames: CLASSES });
    expect(d.spd).toMatchObject({ source: 'matrices', formats: ['npy'], split: 'held-out', classNames: CLASSES });
    const set = readSpdSetFilesSync((JSON.parse(d.location) as { dir: string }).dir, d.name);
    // The 5th file of each class (m04) is the test matrix; the others train, in class then file order.
    for (let c = 0; c < 3; c++) {
      expect(Array.from(set.test.matrices.subarray(c * 36, (c + 1) * 36))).toEqual(Array.from(Float32Array.from(byClass[c][4])));
      expect(Array.from(set.train.matrices.subarray(c * 4 * 36, c * 4 * 36 + 36))).toEqual(Array.from(Float32Array.from(byClass[c][0])));
    }
    expect(Array.from(set.train.labels)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    // The same data again is recognised, whatever the name.
    const again = await service.importSpd({ name: 'Other name', folder: src, source: 'matrices' });
    expect(again).toMatchObject({ id: d.id, alreadyImported: true });
    expect(service.list()).toHaveLength(1);
  });

  it('takes train/ and test/ folders of float32 .npy stacks (N × n × n) as the split', async () => {
    const rand = seeded(3);
    for (const [split, per] of [['train', 4], ['test', 2]] as const) {
      for (const c of CLASSES) npyFile(join(src, split, c, 'stack.npy'), [per, 5, 5], Array.from({ length: per }, () => spdMatrix(5, rand)).flat(), '<f4');
    }
    const d = await service.importSpd({ name: 'Stacks', folder: src, source: 'matrices' });
    expect(d).toMatchObject({ trainCount: 12, testCount: 6, shape: [5, 5], spd: { split: 'folders', formats: ['npy'] } });
  });

  it('imports .csv matrices, and a big-endian float64 .npy beside them', async () => {
    const rand = seeded(11);
    for (const c of CLASSES) {
      for (let k = 0; k < 3; k++) csvFile(join(src, c, `w${k}.csv`), toRows(spdMatrix(4, rand), 4));
      npyFile(join(src, c, 'w3.npy'), [4, 4], spdMatrix(4, rand), '>f8');
    }
    const d = await service.importSpd({ name: 'CSV', folder: src, source: 'matrices' });
    expect(d).toMatchObject({ trainCount: 12, testCount: 0, spd: { formats: ['csv', 'npy'] } });
  });

  it('turns feature sequences (features × time) into regularised covariance descriptors', async () => {
    // Feature 1 alternates ±1, feature 2 is twice feature 1, feature 3 alternates in pairs (uncorrelated
    // with feature 1): over T = 8 steps the covariance is T/(T−1)·[[1, 2, 0], [2, 4, 0], [0, 0, 1]], which is
    // singular (features 1 and 2 are collinear) until the ε·tr(Σ)·I ridge makes it positive definite.
    const f1 = [1, -1, 1, -1, 1, -1, 1, -1];
    const f3 = [1, 1, -1, -1, 1, 1, -1, -1];
    for (const c of CLASSES.slice(0, 2)) for (let k = 0; k < 2; k++) csvFile(join(src, c, `s${k}.csv`), [f1.map((v) => v + 5), f1.map((v) => 2 * v), f3]);
    const d = await service.importSpd({ name: 'Sequences', folder: src, source: 'sequences' });
    expect(d).toMatchObject({ shape: [3, 3], trainCount: 4, spd: { source: 'sequences', features: 3 } });
    const set = readSpdSetFilesSync((JSON.parse(d.location) as { dir: string }).dir, d.name);
    const s = 8 / 7;
    const ridge = 1e-5 * 6 * s;
    const expected = [s + ridge, 2 * s, 0, 2 * s, 4 * s + ridge, 0, 0, 0, s + ridge];
    Array.from(set.train.matrices.subarray(0, 9)).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });

  it('the built-in synthetic set joins the list like an import, is served with eigenvalues, resolves for a run and deletes cleanly', async () => {
    expect(service.available().find((a) => a.which === 'spd-synthetic')).toMatchObject({ present: true });
    const d = await service.importBuiltin('spd-synthetic');
    expect(d).toMatchObject({ kind: 'spd', shape: [20, 20], classes: 3, alreadyImported: false, spd: { source: 'synthetic', split: 'generated' } });
    expect(d.spd?.credit).toMatch(/synthetic/i);
    expect(d.trainCount + d.testCount).toBeGreaterThan(0);
    expect(await service.importBuiltin('spd-synthetic')).toMatchObject({ id: d.id, alreadyImported: true });

    const samples = await service.spdSamples(d.id, 2);
    expect(samples.map((s) => s.label)).toEqual([0, 0, 1, 1, 2, 2]);
    for (const s of samples) {
      expect(s.values).toHaveLength(400);
      // Ascending, positive, and summing to the trace (the eigenvalues of that very matrix).
      expect(s.eigenvalues).toEqual([...s.eigenvalues].sort((a, b) => a - b));
      expect(s.eigenvalues[0]).toBeGreaterThan(0);
      const trace = Array.from({ length: 20 }, (_, i) => s.values[i * 21]).reduce((a, b) => a + b, 0);
      expect(s.eigenvalues.reduce((a, b) => a + b, 0)).toBeCloseTo(trace, 3);
    }
    await expect(service.samples(d.id, 2)).rejects.toThrow(/holds SPD matrices, not images; use datasets.spdSamples/);

    const { ref } = service.resolve({ dataset: String(d.id), trainLimit: 0 } as SearchConfig);
    expect(ref).toMatchObject({ kind: 'spd', name: d.name });
    const loaded = loadSpdSet(ref as SpdDataReference);
    expect(loaded).toMatchObject({ size: 20, classes: 3 });
    expect(loaded.train.count).toBe(d.trainCount);

    service.delete(d.id);
    expect(entries()).toEqual([]);
  });

  describe('a corrupt set is refused whole, naming the file and the problem', () => {
    async function refused(expected: { file: string; problem: RegExp }): Promise<void> {
      const e = await refusal(service.importSpd({ name: 'Bad', folder: src, source: 'matrices' }));
      expect(e.name).toBe('DatasetFileError');
      expect(e.message).toContain(expected.file);
      expect(e.message).toMatch(expected.problem);
      expect(service.list()).toEqual([]);
      // Nothing is left in the data folder: no packed copy, no temporary folder.
      expect(entries()).toEqual([]);
    }

    it('a non-symmetric matrix', async () => {
      npyFolder(src, 4, 3);
      const rows = toRows(spdMatrix(4, seeded(5)), 4);
      rows[0][2] += 0.5;
      const bad = npyFile(join(src, 'person', 'm01.npy'), [4, 4], rows.flat());
      await refused({ file: bad, problem: /is not symmetric: entry \(1, 3\) is .* but \(3, 1\) is/ });
    });

    it('a matrix with a negative eigenvalue', async () => {
      npyFolder(src, 3, 3);
      // Symmetric, eigenvalues 3, 1 and −1 (the 2×2 block [[0, 1], [1, 0]] has ±1).
      const bad = npyFile(join(src, 'vehicle', 'm02.npy'), [3, 3], [0, 1, 0, 1, 0, 0, 0, 0, 3]);
      await refused({ file: bad, problem: /is not positive definite: its smallest eigenvalue is -1\.000 \(negative\)/ });
    });

    it('a negative eigenvalue inside a stacked .npy names the matrix', async () => {
      const rand = seeded(9);
      for (const c of CLASSES) npyFile(join(src, c, 'stack.npy'), [2, 3, 3], [...spdMatrix(3, rand), ...spdMatrix(3, rand)]);
      const bad = npyFile(join(src, 'drone', 'stack.npy'), [2, 3, 3], [...spdMatrix(3, rand), -1, 0, 0, 0, 2, 0, 0, 0, 2]);
      await refused({ file: bad, problem: /matrix 1 \(counting from 0\) is not positive definite/ });
    });

    it('a ragged .csv', async () => {
      const rand = seeded(2);
      for (const c of CLASSES) csvFile(join(src, c, 'a.csv'), toRows(spdMatrix(3, rand), 3));
      const bad = join(src, 'person', 'b.csv');
      writeFileSync(bad, '2,0.1,0\n0.1,2\n0,0,2\n');
      await refused({ file: bad, problem: /is ragged: row 2 has 2 values, row 1 has 3/ });
    });

    it('a truncated .npy', async () => {
      npyFolder(src, 4, 3);
      const bad = join(src, 'drone', 'm02.npy');
      truncateSync(bad, 128 + 4 * 4 * 8 - 20);
      await refused({ file: bad, problem: /is truncated: its header declares shape \(4, 4\) of float64, 128 bytes of data, but the file holds 108/ });
    });

    it('matrices of two sizes', async () => {
      npyFolder(src, 4, 2);
      const bad = npyFile(join(src, 'vehicle', 'm09.npy'), [5, 5], spdMatrix(5, seeded(1)));
      await refused({ file: bad, problem: /holds 5×5 matrices where the files before it hold 4×4/ });
    });

    it('a non-finite value, a non-numeric .csv field, a stray file and a non-square table', async () => {
      npyFolder(src, 3, 2);
      const nan = npyFile(join(src, 'person', 'm00.npy'), [3, 3], [1, 0, 0, 0, Number.NaN, 0, 0, 0, 1]);
      await refused({ file: nan, problem: /non-finite value \(NaN or infinity\) at row 2, column 2/ });
      npyFile(nan, [3, 3], spdMatrix(3, seeded(4)));
      const text = csvFile(join(src, 'person', 'x.csv'), [[1, 0, 0], [0, 1, 0]]);
      writeFileSync(text, 'a,b,c\n1,0,0\n0,1,0\n');
      await refused({ file: text, problem: /row 1, column 1 is not a finite number \(a header row\? remove it\)/ });
      csvFile(text, [[1, 0, 0], [0, 1, 0]]);
      await refused({ file: text, problem: /holds an array of shape \(2, 3\), not a square matrix/ });
      rmSync(text);
      const notes = join(src, 'drone', 'notes.txt');
      writeFileSync(notes, 'hello');
      await refused({ file: notes, problem: /is neither a \.npy nor a \.csv file/ });
    });

    it('a single class folder, and a path that is not a folder', async () => {
      npyFile(join(src, 'only', 'a.npy'), [2, 2], [2, 0, 0, 2]);
      await refused({ file: src, problem: /holds 1 class folder; a classification set needs at least 2/ });
      const e = await refusal(service.importSpd({ name: 'Bad', folder: join(src, 'only', 'a.npy'), source: 'matrices' }));
      expect(e.message).toMatch(/a\.npy: is a file, not a folder/);
    });
  });

  const hasNumpy = (() => {
    try {
      execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasNumpy)('reads .npy files written by NumPy itself (float32 stack, float64 matrix)', async () => {
    const script = `
import numpy as np, os, sys
root = sys.argv[1]
rng = np.random.default_rng(0)
for c in ['a', 'b']:
    os.makedirs(os.path.join(root, c))
    a = rng.standard_normal((3, 4, 4))
    np.save(os.path.join(root, c, 'stack.npy'), (a @ a.transpose(0, 2, 1) + np.eye(4)).astype(np.float32))
    b = rng.standard_normal((4, 4))
    np.save(os.path.join(root, c, 'one.npy'), b @ b.T + np.eye(4))
`;
    execFileSync('python3', ['-c', script, src]);
    const d = await service.importSpd({ name: 'NumPy', folder: src, source: 'matrices' });
    expect(d).toMatchObject({ trainCount: 8, classes: 2, shape: [4, 4], spd: { formats: ['npy'] } });
  });
});
