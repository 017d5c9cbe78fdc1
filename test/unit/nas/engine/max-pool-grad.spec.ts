/**
 * MaxPoolGrad (engine/kernels/max-pool-grad.ts, registered for wasm): the gradient of Σ r·maxPool(x) routes
 * each r to the first maximum of its window (scan order), checked against a direct JavaScript definition on
 * the wasm and cpu backends, for the pools the spaces use (3×3, stride 1 and 2, pad 1) and 'same'/'valid'.
 * tfjs-backend-wasm's own kernel got the stride-1, pad-1 case wrong by 14%.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/main/nas/engine/tf';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { randomArray, relErr } from '../fixtures';

type Pad = number | 'same' | 'valid';

/** dL/dx for L = Σ r·maxPool(x): each window's r goes to its first maximum. Plain loops, NHWC. */
function reference(x: Float32Array, shape: number[], r: Float32Array, k: number, s: number, pad: Pad): Float32Array {
  const [b, h, w, c] = shape as [number, number, number, number];
  const info = tf.backend_util.computePool2DInfo([b, h, w, c], k, s, 1, pad);
  const dx = new Float32Array(x.length);
  const at = (n: number, y: number, xx: number, ch: number) => ((n * h + y) * w + xx) * c + ch;
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < info.outHeight; oy++)
      for (let ox = 0; ox < info.outWidth; ox++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let arg = -1;
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) {
              const y = oy * s - info.padInfo.top + i;
              const xx = ox * s - info.padInfo.left + j;
              if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
              if (x[at(n, y, xx, ch)]! > best) {
                best = x[at(n, y, xx, ch)]!;
                arg = at(n, y, xx, ch);
              }
            }
          dx[arg] += r[((n * info.outHeight + oy) * info.outWidth + ox) * c + ch]!;
        }
  return dx;
}

afterAll(async () => {
  await initBackend('wasm');
});

const CASES: Array<{ s: number; pad: Pad }> = [
  { s: 1, pad: 1 },
  { s: 2, pad: 1 },
  { s: 1, pad: 'same' },
  { s: 2, pad: 'valid' },
];

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`MaxPoolGrad on ${backend}`, () => {
    for (const { s, pad } of CASES) {
      it(`3×3, stride ${s}, pad ${pad}: matches the direct definition`, async () => {
        await initBackend(backend);
        const shape = [2, 7, 8, 3];
        const xv = randomArray(2 * 7 * 8 * 3, 17, 2);
        const x = tf.tensor4d(xv, shape as [number, number, number, number]);
        const outShape = tf.maxPool(x, 3, s, pad).shape;
        const rv = randomArray(outShape.reduce((a, d) => a * d, 1), 23);
        const r = tf.tensor(rv, outShape);
        const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 3, s, pad), r)))(x);
        expect(relErr(dx.dataSync(), reference(xv, shape, rv, 3, s, pad))).toBeLessThan(1e-6);
        tf.dispose([x, r, dx]);
      });
    }

    it('ties go to the first maximum in scan order', async () => {
      await initBackend(backend);
      const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
      const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 3, 1, 1)))(x);
      expect(Array.from(dx.dataSync())).toEqual(Array.from(reference(new Float32Array(16).fill(1), [1, 4, 4, 1], new Float32Array(16).fill(1), 3, 1, 1)));
    });
  });
}
