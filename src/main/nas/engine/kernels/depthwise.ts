/**
 * DepthwiseConv2dNative gradients (NHWC, channel multiplier M, strides, dilations, same/valid/explicit pads)
 * built from fast forward ops. Backend-agnostic; registered for 'wasm' in ./index.ts.
 */
import * as tf from '../tf';
import { padForWindows, padSpatial, tapSlice, transposedPads, zeroDilate } from './util';

type Pad = tf.backend_util.ExplicitPadding | 'same' | 'valid' | number;

/** dW[kh,kw,c,m] = Σ_{b,oh,ow} xpad[b, oh*sh+kh*dh, ow*sw+kw*dw, c] · dy[b,oh,ow,c*M+m]: one product+sum per tap. */
export function depthwiseBackpropFilterImpl(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const ci = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode, true);
    const [kh, kw, c, m] = filterShape;
    const n = ci.batchSize * ci.outHeight * ci.outWidth;
    const xp = padForWindows(x, ci);
    const dy2 = m === 1 ? tf.reshape(dy, [n, c]) : tf.reshape(dy, [n, c, m]);
    const rows: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        rows.push(
          tf.tidy(() => {
            const t = tapSlice(xp, i, j, ci);
            const t2 = m === 1 ? tf.reshape(t, [n, c]) : tf.reshape(t, [n, c, 1]);
            return tf.sum(tf.mul(t2, dy2), 0);
          }),
        );
      }
    }
    return tf.reshape(tf.stack(rows), filterShape);
  });
}

/**
 * dx of a depthwise conv: a stride-1 "valid" depthwise conv (same dilation) of the zero-dilated dy with the
 * spatially flipped filter, channels c*M+m, then summed over m.
 */
export function depthwiseBackpropInputImpl(
  inputShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | [number, number],
  pad: Pad,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const ci = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, dilations, pad, dimRoundingMode, true);
    const [kh, kw, c, m] = filter.shape;
    const dyd = zeroDilate(dy, ci.strideHeight, ci.strideWidth);
    const p = transposedPads(ci, dyd.shape[1], dyd.shape[2]);
    const cropped = padSpatial(dyd, {
      top: Math.min(0, p.top),
      bottom: Math.min(0, p.bottom),
      left: Math.min(0, p.left),
      right: Math.min(0, p.right),
    });
    const wf = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * m, 1]) as tf.Tensor4D;
    const explicit: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [Math.max(0, p.top), Math.max(0, p.bottom)],
      [Math.max(0, p.left), Math.max(0, p.right)],
      [0, 0],
    ];
    const y = tf.depthwiseConv2d(cropped, wf, 1, explicit, 'NHWC', [ci.dilationHeight, ci.dilationWidth]);
    if (m === 1) return y;
    const [b, h, w] = y.shape;
    return tf.sum(tf.reshape(y, [b, h, w, c, m]), 4) as tf.Tensor4D;
  });
}
