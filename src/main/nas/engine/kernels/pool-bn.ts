/**
 * Faster training pieces for pooling and batch norm on wasm (both backend-agnostic compositions):
 * - AvgPoolGrad as a transposed depthwise convolution with a ones filter (wasm's own kernel: ~45 ms for
 *   64x28x28x16 3x3; this: a few ms).
 * - The FusedBatchNorm gradient without tfjs-core's full-size Tile (which alone took ~25% of a training step
 *   on wasm), sharing the two reductions between the five input gradients.
 */
import * as tf from '../tf';
import { depthwiseBackpropInputImpl } from './depthwise';

type Pad = tf.backend_util.ExplicitPadding | 'same' | 'valid' | number;

/** Number of in-bounds inputs each pooling window covers (tfjs/TF average pooling excludes padding). */
function windowCounts(ci: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const axis = (out: number, stride: number, pad: number, f: number, size: number) => {
    const c = new Array<number>(out);
    for (let o = 0; o < out; o++) {
      const start = o * stride - pad;
      c[o] = Math.min(size, start + f) - Math.max(0, start);
    }
    return c;
  };
  const rows = axis(ci.outHeight, ci.strideHeight, ci.padInfo.top, ci.effectiveFilterHeight, ci.inHeight);
  const cols = axis(ci.outWidth, ci.strideWidth, ci.padInfo.left, ci.effectiveFilterWidth, ci.inWidth);
  const v = new Float32Array(ci.outHeight * ci.outWidth);
  for (let i = 0; i < ci.outHeight; i++) for (let j = 0; j < ci.outWidth; j++) v[i * ci.outWidth + j] = rows[i]! * cols[j]!;
  return tf.tensor4d(v, [1, ci.outHeight, ci.outWidth, 1]);
}

export function avgPoolGradImpl(
  dy: tf.Tensor4D,
  inputShape: [number, number, number, number],
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const ci = tf.backend_util.computePool2DInfo(inputShape, filterSize, strides, 1, pad, dimRoundingMode);
    const c = inputShape[3];
    const g = tf.div(dy, windowCounts(ci)) as tf.Tensor4D;
    const ones = tf.ones([ci.filterHeight, ci.filterWidth, c, 1]) as tf.Tensor4D;
    const explicit: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [ci.padInfo.top, ci.padInfo.bottom],
      [ci.padInfo.left, ci.padInfo.right],
      [0, 0],
    ];
    return depthwiseBackpropInputImpl(inputShape, g, ones, [ci.strideHeight, ci.strideWidth], explicit, 1);
  });
}

/** Gradient of FusedBatchNorm (same maths as tfjs-core's, with broadcasting instead of Tile). */
export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const dyT = dy as tf.Tensor;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: tf.Tensor) => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
    const r = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const sc = scale == null ? tf.scalar(1) : scale;
    const scR = tf.mul(sc, r);
    const sumDy = reduce(dyT);
    const sumDyXm = reduce(tf.mul(dyT, tf.sub(x, mean)));
    return {
      x: () => tf.reshape(tf.mul(dyT, scR), x.shape),
      mean: () => tf.reshape(tf.neg(tf.mul(scR, sumDy)), mean.shape),
      variance: () => tf.reshape(tf.mul(tf.mul(sumDyXm, tf.mul(sc, tf.pow(r, 3))), tf.scalar(-0.5)), mean.shape),
      scale: () => tf.reshape(tf.mul(sumDyXm, r), mean.shape),
      offset: () => sumDy,
    };
  },
};
