/**
 * The stand-alone retrain networks (NAS-Bench-201 macro network, DARTS evaluation network): parameter and
 * multiply-accumulate counts against counts written out from the papers' layer lists, the same count from
 * the exported tf.layers model, and the tf.layers model giving the same predictions as the trained network.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { Rng } from '../../../../src/main/nas/engine/rng';
import { buildStandaloneNet, type StandaloneNet } from '../../../../src/main/nas/estimation/networks/standalone';
import { parseArchitecture } from '../../../../src/shared/strategies/retrain';
import { parseSearchConfig } from '../../../../src/shared/config';
import { randomArray, relErr } from '../fixtures';

const NB201_ARCH = '|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|';
/** Every DARTS op appears in both cells, and reduction-cell inputs 0 and 1 take every strided op. */
const DARTS_GENOTYPE = {
  normal: [['sep_conv_3x3', 0], ['dil_conv_5x5', 1], ['skip_connect', 0], ['max_pool_3x3', 2], ['avg_pool_3x3', 1], ['sep_conv_5x5', 3], ['dil_conv_3x3', 4], ['skip_connect', 2]],
  normalConcat: [2, 3, 4, 5],
  reduce: [['max_pool_3x3', 0], ['skip_connect', 1], ['avg_pool_3x3', 0], ['dil_conv_3x3', 1], ['sep_conv_5x5', 0], ['dil_conv_5x5', 1], ['sep_conv_3x3', 1], ['skip_connect', 4]],
  reduceConcat: [2, 3, 4, 5],
};

function space(name: 'nb201' | 'darts', channels: number, cells: number) {
  return parseSearchConfig({ dataset: 'demo', space: { name, channels, cells }, strategy: { name: 'darts' } }).space;
}

function build(arch: string, s: ReturnType<typeof space>, inputShape: [number, number, number], auxiliary = true): StandaloneNet {
  return buildStandaloneNet(s, parseArchitecture(arch), { inputShape, classes: 10, auxiliary }, new Rng(7));
}

/** Sets every BN running statistic to a random value, so eval mode is not an identity on fresh buffers. */
function randomiseBuffers(net: StandaloneNet, seed: number): void {
  let k = seed;
  for (const [name, v] of net.params.buffers) {
    const data = randomArray(v.size, (k += 1), 0.5, name.endsWith('running_var') ? 1 : 0);
    v.assign(tf.tensor(name.endsWith('running_var') ? data.map(Math.abs) : data, v.shape));
  }
}

function trainableCount(model: ReturnType<StandaloneNet['toLayersModel']>): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('NAS-Bench-201 macro network', () => {
  const C = 4;
  const net = () => build(NB201_ARCH, space('nb201', C, 1), [8, 8, 1]);

  it('has the parameters of the benchmark’s layer list (stem, 3 cells, 2 residual blocks, last BN, linear)', () => {
    const conv = (k: number, cin: number, cout: number) => k * k * cin * cout;
    const bn = (c: number) => 2 * c;
    // The cell: 3×3 conv (0→1), 3×3 conv (1→3), skip (0→3); the 1×1 conv (0→2) and the pool feed node 2,
    // whose only way out (2→3) is none, so they compute nothing the output uses and are not built.
    const cell = (c: number) => conv(3, c, c) + bn(c) + conv(3, c, c) + bn(c);
    const block = (cin: number, cout: number) => conv(3, cin, cout) + bn(cout) + conv(3, cout, cout) + bn(cout) + conv(1, cin, cout);
    const expected = conv(3, 1, C) + bn(C) + cell(C) + block(C, 2 * C) + cell(2 * C) + block(2 * C, 4 * C) + cell(4 * C) + bn(4 * C) + 4 * C * 10 + 10;
    const n = net();
    expect(n.countParams()).toBe(expected);
    const model = n.toLayersModel();
    expect(trainableCount(model)).toBe(expected);
    model.dispose();
    n.dispose();
  });

  it('counts the multiply-accumulates of its convolutions and classifier for one image', () => {
    const macs = (h: number, k: number, cin: number, cout: number) => h * h * k * k * cin * cout;
    const cell = (h: number, c: number) => macs(h, 3, c, c) + macs(h, 3, c, c);
    const block = (h: number, cin: number, cout: number) => macs(h / 2, 3, cin, cout) + macs(h / 2, 3, cout, cout) + macs(h / 2, 1, cin, cout);
    const expected = macs(8, 3, 1, C) + cell(8, C) + block(8, C, 2 * C) + cell(4, 2 * C) + block(4, 2 * C, 4 * C) + cell(2, 4 * C) + 4 * C * 10;
    const n = net();
    expect(n.countMacs()).toBe(expected);
    n.dispose();
  });

  it('the exported tf.layers model predicts what the network predicts', () => {
    const n = net();
    randomiseBuffers(n, 3);
    const x = tf.tensor4d(randomArray(3 * 8 * 8, 11), [3, 8, 8, 1]);
    const model = n.toLayersModel();
    const want = n.predict(x).dataSync();
    const got = (model.predict(x) as tf.Tensor).dataSync();
    expect(relErr(got, want)).toBeLessThan(1e-4);
    model.dispose();
    n.dispose();
  });

  it('a cell whose output node has only none inputs gives the same constant in both', () => {
    const n = build('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|', space('nb201', C, 1), [8, 8, 1]);
    randomiseBuffers(n, 5);
    const x = tf.tensor4d(randomArray(2 * 8 * 8, 12), [2, 8, 8, 1]);
    const model = n.toLayersModel();
    expect(relErr((model.predict(x) as tf.Tensor).dataSync(), n.predict(x).dataSync())).toBeLessThan(1e-4);
    model.dispose();
    n.dispose();
  });
});

describe('DARTS evaluation network', () => {
  // L = 3: a normal cell, then reductions at 1 and 2; odd input size checks the padding of strided ops.
  const net = (auxiliary = true) => build(JSON.stringify(DARTS_GENOTYPE), space('darts', 4, 3), [15, 15, 1], auxiliary);

  it('the exported tf.layers model predicts what the network predicts (every op, strided and not)', () => {
    const n = net();
    randomiseBuffers(n, 9);
    const x = tf.tensor4d(randomArray(2 * 15 * 15, 13), [2, 15, 15, 1]);
    const model = n.toLayersModel();
    const want = n.predict(x).dataSync();
    expect(want.length).toBe(20);
    expect(relErr((model.predict(x) as tf.Tensor).dataSync(), want)).toBeLessThan(1e-4);
    expect(trainableCount(model)).toBe(n.countParams());
    model.dispose();
    n.dispose();
  });

  it('the auxiliary head trains beside the network but is not counted or exported', () => {
    const withAux = net(true);
    const without = net(false);
    expect(withAux.countParams()).toBe(without.countParams());
    expect([...withAux.params.trainable.keys()].some((k) => k.startsWith('aux.'))).toBe(true);
    expect([...without.params.trainable.keys()].some((k) => k.startsWith('aux.'))).toBe(false);
    const out = tf.tidy(() => {
      const r = withAux.forward(tf.zeros([2, 15, 15, 1]) as tf.Tensor4D, { ctx: { training: true, bnUpdates: null } });
      return [r.logits.shape, r.aux?.shape];
    });
    expect(out).toEqual([[2, 10], [2, 10]]);
    withAux.dispose();
    without.dispose();
  });

  it('drop-path zeroes whole samples of non-identity ops at probability 1−keep and rescales the rest', () => {
    const n = net(false);
    const x = tf.tensor4d(randomArray(64 * 15 * 15, 14), [64, 15, 15, 1]);
    const run = (p: number, seed: number) =>
      tf.tidy(() => n.forward(x, { ctx: { training: true, bnUpdates: null }, dropPath: { probability: p, rng: new Rng(seed) } }).logits.arraySync());
    const a = run(0.3, 1);
    expect(run(0.3, 1)).toEqual(a);
    expect(run(0.3, 2)).not.toEqual(a);
    expect(run(0, 1)).toEqual(run(0, 2));
    n.dispose();
  });
});
