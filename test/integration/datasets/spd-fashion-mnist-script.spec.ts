import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSpdFolder } from '../../../src/main/nas/data/spd-import';
import { tempDir } from './fixtures';

// scripts/make-spd-fashion-mnist.js on Debian's Fashion-MNIST files: its region covariance matrices pass the
// real SPD importer (every matrix checked for shape, symmetry and positive definiteness), in the label order
// of Fashion-MNIST, and agree with the covariance descriptors the importer forms itself from the same images
// written as feature sequences (--sequences).

const SOURCE = '/usr/share/datasets/fashion-mnist';
const SCRIPT = join(__dirname, '../../../scripts/make-spd-fashion-mnist.js');

describe.skipIf(!existsSync(SOURCE))('scripts/make-spd-fashion-mnist.js', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('nas-spd-fmnist-');
  });
  afterEach(() => tmp.dispose());

  it('writes a 10-class set of 10×10 SPD matrices that imports, equal to the importer’s own descriptors', async () => {
    const matrices = join(tmp.dir, 'matrices');
    const sequences = join(tmp.dir, 'sequences');
    execFileSync(process.execPath, [SCRIPT, matrices, '--train', '3', '--test', '2', '--source', SOURCE]);
    execFileSync(process.execPath, [SCRIPT, sequences, '--train', '3', '--test', '2', '--source', SOURCE, '--sequences']);

    const { set, facts } = await readSpdFolder(matrices, 'matrices', 'fmnist-cov');
    expect(facts).toMatchObject({ split: 'folders', formats: ['npy'] });
    expect(set).toMatchObject({ size: 10, classes: 10 });
    expect(set.classNames[0]).toBe('0-tshirt-top');
    expect(set.classNames[9]).toBe('9-ankle-boot');
    expect([set.train.count, set.test.count]).toEqual([30, 20]);
    expect(Array.from(set.train.labels)).toEqual(Array.from({ length: 30 }, (_, k) => Math.floor(k / 3)));

    const fromSequences = (await readSpdFolder(sequences, 'sequences', 'fmnist-seq')).set;
    expect([fromSequences.train.count, fromSequences.test.count, fromSequences.size]).toEqual([30, 20, 10]);
    for (const split of ['train', 'test'] as const) {
      const a = set[split].matrices;
      const b = fromSequences[split].matrices;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (Math.abs(b[i]) + 1e-6));
      // The .csv holds 8 significant digits, the packed set float32.
      expect(worst).toBeLessThan(1e-4);
    }
    // Different garments, different descriptors: a trouser's differs from a T-shirt's.
    const n2 = 100;
    const tshirt = set.train.matrices.subarray(0, n2);
    const trouser = set.train.matrices.subarray(3 * n2, 4 * n2);
    expect(tshirt.some((v, i) => Math.abs(v - trouser[i]) > 1e-3)).toBe(true);
  });
});
