import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/main/nas/engine/tf';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { Rng } from '../../../src/main/nas/engine/rng';
import { stiefelDefect, symEig } from '../../../src/main/nas/engine/spd';
import type { SpdMatrixSet, SpdSplit } from '../../../src/main/nas/data/spd-import-set';
import { buildSpdCellNet, buildSpdnet, spdnetSizes } from '../../../src/main/nas/estimation/spdnet';
import { trainSpdNet } from '../../../src/main/nas/estimation/spdnet-train';
import { SpdSpaceSchema } from '../../../src/shared/spaces/spd';

// The evaluation stage of SPDNetNAS on real tfjs math (wasm): the SPDNet baseline and a derived SPD cell,
// trained from scratch with Riemannian SGD on a small set whose three classes differ only in their spectra,
// must both learn it; BiMap weights stay on the Stiefel manifold throughout.

/** count matrices of n×n per class: a random rotation of class-specific eigenvalues (log-spaced slopes). */
function split(n: number, perClass: number, rng: Rng): SpdSplit {
  const matrices = new Float32Array(3 * perClass * n * n);
  const labels = new Uint8Array(3 * perClass);
  let k = 0;
  for (let c = 0; c < 3; c++) {
    for (let s = 0; s < perClass; s++, k++) {
      const a = Float64Array.from({ length: n * n }, () => rng.next() * 2 - 1);
      const q = symEig(Float64Array.from({ length: n * n }, (_, i) => a[i] + a[(i % n) * n + Math.floor(i / n)]), n).vectors;
      const lambda = Array.from({ length: n }, (_, i) => Math.exp(c * 1.5 * (i / (n - 1) - 0.5) + 0.3 * (rng.next() - 0.5)));
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let v = 0;
        for (let t = 0; t < n; t++) v += q[i * n + t] * lambda[t] * q[j * n + t];
        matrices[k * n * n + i * n + j] = v;
      }
      labels[k] = c;
    }
  }
  return { matrices, labels, count: 3 * perClass };
}

const N = 8;
const rng = new Rng(5);
const set: SpdMatrixSet = { name: 'spectra', size: N, classes: 3, classNames: ['flat', 'mid', 'steep'], train: split(N, 30, rng), test: split(N, 30, rng) };
const opts = { epochs: 6, batchSize: 10, lr: 0.3, seed: 1 };

describe('SPD evaluation networks', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => {
    tf.disposeVariables();
  });

  it('SPDNet (BiMap → ReEig stack) learns classes that differ by their spectra, Stiefel weights intact', async () => {
    expect(spdnetSizes(20)).toEqual([20, 16, 8]);
    const net = buildSpdnet(spdnetSizes(N), 3, new Rng(1));
    const before = tf.memory().numTensors;
    // SPDNet has a few hundred weights and trains in milliseconds per epoch: give it more epochs.
    const result = await trainSpdNet(net, set, { ...opts, epochs: 20 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.epochs).toHaveLength(20);
    expect(result.testAccuracy).toBeGreaterThan(0.55);
    for (const [name, v] of net.params.trainable) {
      if (net.manifolds.get(name) === 'stiefel') expect(stiefelDefect(v.dataSync(), v.shape[2]!, v.shape[3]!)).toBeLessThan(1e-5);
    }
    expect(result.params).toBe(8 * 6 + 6 * 3 + 3 * 9 + 3);
    net.dispose();
  });

  it('a derived SPD cell network (reduce then normal cell) trains well above chance (1/3)', async () => {
    const space = SpdSpaceSchema.parse({ name: 'spd', cells: 2 });
    const genotype = {
      normal: [['Skip_normal', 0], ['Skip_normal', 1], ['BiMap_0_normal', 0], ['BiMap_1_normal', 2]] as [string, number][],
      normalConcat: [2, 3],
      reduce: [['BiMap_2_reduced', 1], ['BiMap_2_reduced', 0], ['BiMap_1_reduced', 1], ['BiMap_2_reduced', 0]] as [string, number][],
      reduceConcat: [2, 3],
    };
    const net = buildSpdCellNet(space, genotype, N, 3, new Rng(2));
    const result = await trainSpdNet(net, set, opts);
    expect(result.testAccuracy).toBeGreaterThan(0.55);
    net.dispose();
  });

  it('refuses an architecture without the cell type the network needs', () => {
    const space = SpdSpaceSchema.parse({ name: 'spd', cells: 2 });
    expect(() => buildSpdCellNet(space, { normal: [], normalConcat: [2, 3], reduce: [], reduceConcat: [2, 3] }, N, 3, new Rng(2))).toThrow(/no reduction cell/);
  });
});
