/**
 * The SPD space of SPDNetNAS (ALGORITHMS.md §1.4, §9 SPDNetNAS properties 1 and 8): every normal and reduced op
 * maps a batch of SPD matrices to SPD matrices of the right size; BatchNormSPD in eval mode with R = I and
 * B = I is the identity; a mixed op with one-hot sparsemax weights is that op; the network has 5 edges × 6 ops
 * per cell type and its genotype keeps 2 inputs per node and never `none`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/main/nas/engine/tf';
import { initBackend } from '../../src/main/nas/engine/backend';
import type { ForwardContext } from '../../src/main/nas/engine/layers';
import { ParamStore } from '../../src/main/nas/engine/params';
import { Rng } from '../../src/main/nas/engine/rng';
import { eigenvalues, symEig } from '../../src/main/nas/engine/spd';
import { batchNormSpd, SpdParams } from '../../src/main/nas/spaces/spd-layers';
import { spdCandidate, spdMixedOp } from '../../src/main/nas/spaces/spd-ops';
import { buildSpdSupernet } from '../../src/main/nas/spaces/spd';
import { SPACE_ARCHITECTURES } from '../../src/main/nas/spaces/architectures';
import { SPD_NORMAL_OPS, SPD_REDUCED_OPS, SpdSpaceSchema, deriveSpdGenotype, spdEdgeOps } from '../../src/shared/spaces/spd';

const TRAIN: ForwardContext = { training: true, bnUpdates: null };
const EVAL: ForwardContext = { training: false, bnUpdates: null };

/** A batch [b, c, n, n] of random SPD matrices with eigenvalues in [0.05, 3]. */
function spdBatch(b: number, c: number, n: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  const out = new Float32Array(b * c * n * n);
  for (let k = 0; k < b * c; k++) {
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.next() * 2 - 1;
    const q = symEig(a, n).vectors;
    const spectrum = Array.from({ length: n }, () => 0.05 + 3 * rng.next());
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += q[i * n + t] * spectrum[t] * q[j * n + t];
      out[k * n * n + i * n + j] = s;
    }
  }
  return tf.tensor4d(out, [b, c, n, n]);
}

function asymmetry(x: tf.Tensor4D): number {
  const d = x.dataSync();
  const t = tf.transpose(x, [0, 1, 3, 2]).dataSync();
  return Array.from(d).reduce((m, v, i) => Math.max(m, Math.abs(v - t[i])), 0);
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('SPD ops', () => {
  const settings = { channels: 2, karcherSteps: 1, reEigEps: 1e-4 };
  const n = 8;
  let x: tf.Tensor4D;
  beforeAll(() => {
    x = spdBatch(4, 2, n, 1);
  });

  it.each([...SPD_NORMAL_OPS, ...SPD_REDUCED_OPS])('%s maps SPD to SPD (train and eval mode), symmetric, of the right size', (op) => {
    const p = new SpdParams(new ParamStore(new Rng(2)), new Rng(3));
    const layer = spdCandidate(p, op, op, n, settings);
    const size = op.endsWith('_reduced') ? n / 2 : n;
    for (const ctx of [TRAIN, EVAL]) {
      const y = layer(ctx, x);
      expect(y.shape).toEqual([4, 2, size, size]);
      expect(asymmetry(y)).toBeLessThan(1e-6);
      expect(Math.min(...eigenvalues(y))).toBeGreaterThan(0);
    }
    if (op.startsWith('BiMap_1_normal') || op.startsWith('BiMap_2_reduced')) {
      expect(Math.min(...eigenvalues(layer(TRAIN, x)))).toBeGreaterThanOrEqual(1e-4 * (1 - 1e-3));
    }
    p.store.dispose();
  });

  it('BatchNormSPD in eval mode with running mean I and bias I is the identity map', () => {
    const p = new SpdParams(new ParamStore(new Rng(4)), new Rng(5));
    const bn = batchNormSpd(p, 'bn', n);
    const y = bn(EVAL, x).dataSync();
    const want = x.dataSync();
    const err = Array.from(y).reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
    expect(err / Math.max(...Array.from(want, Math.abs))).toBeLessThan(1e-5);
  });

  it('a mixed op with one-hot sparsemax weights is exactly the selected op', () => {
    const p = new SpdParams(new ParamStore(new Rng(6)), new Rng(7));
    const candidates = SPD_NORMAL_OPS.map((op) => spdCandidate(p, op, op, n, settings));
    for (let k = 0; k < candidates.length; k++) {
      const w = tf.oneHot(k, candidates.length).cast('float32') as tf.Tensor1D;
      const mixed = spdMixedOp(EVAL, x, w, candidates, 1).dataSync();
      const single = candidates[k](EVAL, x).dataSync();
      expect(Array.from(mixed)).toEqual(Array.from(single));
    }
  });
});

describe('SPD supernet', () => {
  const space = SpdSpaceSchema.parse({ name: 'spd' });

  it('has 5 edges × 6 ops per cell type, a reduction cell first, and classifies a batch to finite logits', () => {
    const net = buildSpdSupernet(space, [12, 12, 1], 3, new Rng(8));
    expect([...net.alphas.keys()].sort()).toEqual(['normal', 'reduce']);
    for (const a of net.alphas.values()) expect(a.shape).toEqual([5, 6]);
    expect(net.edgeOps.reduce.map((ops) => ops[1])).toEqual(['AvgPooling2_reduced', 'AvgPooling2_reduced', 'AvgPooling2_reduced', 'AvgPooling2_reduced', 'WeightedPooling_normal']);
    const logits = net.forward(TRAIN, spdBatch(3, 1, 12, 9));
    expect(logits.shape).toEqual([3, 3]);
    for (const v of logits.dataSync()) expect(Number.isFinite(v)).toBe(true);
    const health = net.health(spdBatch(3, 1, 12, 10));
    expect(health.eigMin).toBeGreaterThan(0);
    expect(health.eigMax).toBeGreaterThanOrEqual(health.eigMin);
    expect(health.karcherResidual).toBeGreaterThanOrEqual(0);
    net.dispose();
  });

  it('refuses a reduction of matrices too small to halve, saying what to change', () => {
    expect(() => buildSpdSupernet(SpdSpaceSchema.parse({ name: 'spd', cells: 3 }), [6, 6, 1], 3, new Rng(1))).toThrow(/Cell 2 .* 3×3 .* fewer cells or a larger matrix size/);
  });

  it('derives 2 inputs per node with SPD op names and never none, even when none has the largest weight', () => {
    const rng = new Rng(11);
    const weights = (type: string) => Array.from({ length: 5 }, () => [0.9, ...Array.from({ length: 5 }, () => rng.next() * 0.1)]);
    const g = deriveSpdGenotype({ normal: weights('normal'), reduce: weights('reduce') });
    for (const [cell, type] of [[g.normal, 'normal'], [g.reduce, 'reduce']] as const) {
      expect(cell).toHaveLength(4);
      expect(new Set([cell[0][1], cell[1][1]]).size).toBe(2);
      expect(new Set([cell[2][1], cell[3][1]]).size).toBe(2);
      for (const [op, source] of cell) {
        expect(op).not.toMatch(/^none/);
        const allowed = spdEdgeOps(type).flat();
        expect(allowed).toContain(op);
        if (type === 'reduce' && source < 2) expect(op).toMatch(/_reduced$/);
      }
    }
    const arch = SPACE_ARCHITECTURES.spd.fromWeights(space, { normal: weights('normal'), reduce: weights('reduce') }, []);
    expect(SPACE_ARCHITECTURES.spd.cellOps(arch.genotype)).toHaveLength(4);
  });
});
