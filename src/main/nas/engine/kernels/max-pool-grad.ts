/**
 * MaxPoolGrad composed from forward ops: each window tap that holds the window's maximum (the first in scan
 * order on ties, as tfjs's cpu kernel does) receives dy, shifted back to the input position it came from.
 *
 * tfjs-backend-wasm 4.22's own MaxPoolGrad is wrong for a 3×3, stride 1, pad 1 pool (the DARTS max_pool_3x3):
 * 14% off the cpu and webgpu kernels, which agree with each other and with this one (test/unit/nas/engine/
 * max-pool-grad.spec.ts checks it against finite differences). Correct on every backend.
 */
import * as tf from '../tf';
import { asTensor, padSpatial, zeroDilate } from './util';

type Pad = tf.backend_util.ExplicitPadding | 'same' | 'valid' | number;

export function maxPoolGradImpl(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const ci = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode);
    const [b, h, w, c] = x.shape;
    const { top, left } = ci.padInfo;
    const sh = ci.strideHeight;
    const sw = ci.strideWidth;
    // Padded with −∞ so that every window lies inside, and a padded cell never equals a window's maximum.
    const hp = Math.max(h + top, (ci.outHeight - 1) * sh + ci.filterHeight);
    const wp = Math.max(w + left, (ci.outWidth - 1) * sw + ci.filterWidth);
    const xp = tf.pad(x, [[0, 0], [top, hp - h - top], [left, wp - w - left], [0, 0]], -Infinity);
    let claimed = tf.zerosLike(dy).cast('bool');
    let dxp = tf.zeros([b, hp, wp, c]) as tf.Tensor4D;
    for (let i = 0; i < ci.filterHeight; i++) {
      for (let j = 0; j < ci.filterWidth; j++) {
        const tap = tf.stridedSlice(xp, [0, i, j, 0], [b, i + (ci.outHeight - 1) * sh + 1, j + (ci.outWidth - 1) * sw + 1, c], [1, sh, sw, 1]);
        const hit = tf.logicalAnd(tf.equal(tap, y), tf.logicalNot(claimed));
        claimed = tf.logicalOr(claimed, hit);
        const spread = zeroDilate(tf.mul(dy, tf.cast(hit, 'float32')) as tf.Tensor4D, sh, sw);
        // Tap (i, j) of output o read input row i + o·sh: put its share there.
        dxp = tf.add(dxp, padSpatial(spread, { top: i, bottom: hp - i - spread.shape[1], left: j, right: wp - j - spread.shape[2] })) as tf.Tensor4D;
      }
    }
    return tf.slice(dxp, [0, top, left, 0], [b, h, w, c]);
  });
}

export const maxPoolGradKernel: tf.KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as unknown as { filterSize: [number, number]; strides: [number, number]; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  return maxPoolGradImpl(
    asTensor<tf.Rank.R4>(inputs.dy!),
    asTensor<tf.Rank.R4>(inputs.input!),
    asTensor<tf.Rank.R4>(inputs.output!),
    a.filterSize,
    a.strides,
    a.pad,
    a.dimRoundingMode,
  );
};
