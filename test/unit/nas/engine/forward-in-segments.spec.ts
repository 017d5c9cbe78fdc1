/**
 * Inference segment by segment (engine/recompute.ts forwardInSegments): the same logits as `net.forward` in
 * eval and batch-statistics modes, on both spaces and under SGAS-style masks, and no tensor left behind; and
 * evaluation in chunks (strategies/one-shot.ts evaluate) gives the whole batch's figures. Evaluation batches are larger than training batches, and a single tf.tidy around
 * the whole forward kept every intermediate: the DARTS supernet's evaluation ran out of the wasm heap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { forwardInSegments } from '../../../../src/main/nas/engine/recompute';
import { Rng } from '../../../../src/main/nas/engine/rng';
import type { ForwardContext } from '../../../../src/main/nas/engine/layers';
import type { Supernet } from '../../../../src/main/nas/engine/supernet';
import type { Batch } from '../../../../src/main/nas/data/batcher';
import { evaluate } from '../../../../src/main/nas/strategies/one-shot';
import { buildDartsSupernet } from '../../../../src/main/nas/spaces/darts';
import { buildNb201Supernet } from '../../../../src/main/nas/spaces/nb201';
import { randomTensor4d, relErr } from '../fixtures';

const builders: Record<'nb201' | 'darts', () => Supernet> = {
  nb201: () => buildNb201Supernet({ channels: 4, cellsPerStage: 2, stages: 2, inputShape: [12, 12, 1], classes: 3 }, new Rng(3)),
  darts: () => buildDartsSupernet({ channels: 4, layers: 4, steps: 2, inputShape: [12, 12, 1], classes: 3 }, new Rng(3)),
};

beforeAll(async () => {
  await initBackend('wasm');
});

describe.each(['nb201', 'darts'] as const)('forwardInSegments on %s', (space) => {
  let net: Supernet;
  beforeAll(() => {
    net = builders[space]();
  });
  afterAll(() => net.dispose());

  it.each([
    ['eval mode', { training: false, bnUpdates: null }],
    ['batch statistics', { training: true, bnUpdates: null }],
  ] as Array<[string, ForwardContext]>)('gives the logits of net.forward (%s) and leaves no tensor behind', (_mode, ctx) => {
    const x = randomTensor4d([16, 12, 12, 1], 7, 1);
    const whole = tf.tidy(() => net.forward(ctx, x).dataSync() as Float32Array);
    const bySegment = tf.tidy(() => forwardInSegments(net, ctx, x).dataSync() as Float32Array);
    // Counted after a first pass: the network may keep constants it builds on first use.
    const before = tf.memory().numTensors;
    expect(whole.length).toBe(16 * 3);
    expect(relErr(bySegment, whole)).toBeLessThan(1e-6);
    // Outside any tidy, only the logits remain.
    const logits = forwardInSegments(net, ctx, x);
    expect(tf.memory().numTensors).toBe(before + 1);
    logits.dispose();
    x.dispose();
  });

  it('evaluates a batch in chunks to the same loss and accuracy (eval mode)', () => {
    const images = 20;
    const batch: Batch = {
      x: randomTensor4d([images, 12, 12, 1], 11, 1).dataSync() as Float32Array,
      shape: [images, 12, 12, 1],
      y: Int32Array.from({ length: images }, (_, i) => i % 3),
    } as Batch;
    const whole = evaluate(net, [batch]);
    const chunked = evaluate(net, [batch], { chunk: 6 });
    expect(chunked.count).toBe(images);
    expect(Math.abs(chunked.loss - whole.loss)).toBeLessThan(1e-5 * Math.max(1, whole.loss));
    expect(chunked.accuracy).toBe(whole.accuracy);
  });

  it('honours decided edges (masks) as net.forward does', () => {
    const key = [...net.alphas.keys()][0]!;
    const rows = net.alphas.get(key)!.shape[0];
    const selection = Array.from({ length: rows }, (_, e) => (e % 3 === 0 ? 1 : e % 3 === 1 ? null : -1));
    net.masks.set(key, selection, net.ops.length);
    const x = randomTensor4d([4, 12, 12, 1], 9, 1);
    const ctx: ForwardContext = { training: false, bnUpdates: null };
    const a = tf.tidy(() => net.forward(ctx, x).dataSync() as Float32Array);
    const b = tf.tidy(() => forwardInSegments(net, ctx, x).dataSync() as Float32Array);
    net.masks.clear();
    expect(relErr(b, a)).toBeLessThan(1e-6);
    x.dispose();
  });
});
