import { it } from 'vitest';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { Batcher } from '../../../../src/main/nas/data/batcher';
import { crossEntropy, batchTensors } from '../../../../src/main/nas/strategies/one-shot';
import { Rng } from '../../../../src/main/nas/engine/rng';
import { ParamStore } from '../../../../src/main/nas/engine/params';
import { DEMO_NORMALIZATION, demoImages } from '../fixtures';

it('hvp', async () => {
  await initBackend('wasm');
  const set = demoImages(32);
  const b = new Batcher(set, { batchSize: 16, seed: 99, normalization: DEMO_NORMALIZATION });
  const t = batchTensors(b.batchAt(0, 0));
  const p = new ParamStore(new Rng(1));
  const D = 6;
  const V = process.env.V ?? '';
  const stem = p.dense('stem', 196, D);
  const e = p.dense('e', D, D);
  const e2 = p.dense('e2', D, D);
  const head = p.dense('head', D, 10);
  const weights = p.trainableList();
  const a0 = tf.tensor2d([0.1, -0.2, 0.3, 0.05], [2, 2]);
  const loss = (a: tf.Tensor) => {
    const w = tf.softmax(a);
    const row = (r: number) => V.includes('row') ? tf.reshape(tf.slice(w, [r, 0], [1, 2]), [2]) : tf.squeeze(tf.slice(w, [r, 0], [1, 2]));
    const h0 = tf.tanh(tf.add(tf.matMul(tf.reshape(t.x, [16, -1]) as tf.Tensor2D, stem.kernel), stem.bias));
    const w0 = row(0);
    const h1 = tf.add(tf.mul(h0, tf.slice(w0, [0], [1])), tf.mul(tf.tanh(tf.add(tf.matMul(h0 as tf.Tensor2D, e.kernel), e.bias)), tf.slice(w0, [1], [1])));
    let out = h1;
    if (V.includes('two')) {
      const w1 = row(1);
      out = tf.add(tf.mul(h1, tf.slice(w1, [0], [1])), tf.mul(tf.tanh(tf.add(tf.matMul(h1 as tf.Tensor2D, e2.kernel), e2.bias)), tf.slice(w1, [1], [1])));
    }
    return crossEntropy(tf.add(tf.matMul(out as tf.Tensor2D, head.kernel), head.bias) as tf.Tensor2D, t.y);
  };
  const vec = weights.map((w, i) => tf.randomNormal(w.shape, 0, 0.1, 'float32', i + 1));
  const exact = tf.grad((a: tf.Tensor) => {
    const inner = tf.grads(() => loss(a))(weights);
    return tf.addN(inner.map((g, i) => tf.sum(tf.mul(g, vec[i])))) as tf.Scalar;
  })(a0).dataSync();
  const aData = a0.dataSync();
  const dot = (ad: Float32Array) => tf.tidy(() => { const a = tf.tensor2d(ad, [2, 2]); const inner = tf.grads(() => loss(a))(weights); let s = 0; inner.forEach((g, i) => { const gd = g.dataSync(); const vd = vec[i].dataSync(); for (let k = 0; k < gd.length; k++) s += gd[k] * vd[k]; }); return s; });
  const alt = Array.from(aData).map((_, j) => { const d = 1e-2; const pp = aData.slice(); pp[j] += d; const m = aData.slice(); m[j] -= d; return (dot(pp) - dot(m)) / (2 * d); });
  console.log('RES', V, JSON.stringify(Array.from(exact)), JSON.stringify(alt));
});
