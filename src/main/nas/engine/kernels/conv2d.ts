/**
 * Conv2D gradients built from fast forward ops (pad, strided slices, concat, one matmul, forward conv).
 * Backend-agnostic: they run on whatever backend is active; registered for 'wasm' in ./index.ts.
 */
import * as tf from '../tf';
import { padForWindows, padSpatial, tapSlice, transposedPads, zeroDilate } from './util';

type DataFormat = 'NHWC' | 'NCHW';
type Pad = tf.backend_util.ExplicitPadding | 'same' | 'valid' | number;

function toNHWC<T extends tf.Tensor4D>(t: T, fmt: DataFormat): tf.Tensor4D {
  return fmt === 'NCHW' ? tf.transpose(t, [0, 2, 3, 1]) : t;
}

function shapeToNHWC(s: [number, number, number, number], fmt: DataFormat): [number, number, number, number] {
  return fmt === 'NCHW' ? [s[0], s[2], s[3], s[1]] : s;
}

/**
 * dW[kh,kw,ci,co] = Σ_{b,oh,ow} xpad[b, oh*sh + kh*dh, ow*sw + kw*dw, ci] · dy[b,oh,ow,co]
 *
 * Two formulations, chosen by shape (timings on wasm, 64x28x28x16, see README-perf.md):
 * - 1x1 filters, stride 1: a single matmul x^T·dy (8 ms).
 * - otherwise the "batch as channels" forward convolution: with ci as the batch axis and b as the input-channel
 *   axis, dW is conv2d(transpose(x) [Ci,H,W,B], transpose(dy) [OH,OW,B,Co]) with stride = dilation and
 *   dilation = stride of the original conv, producing [Ci,KH,KW,Co]: one call into the backend's fast conv
 *   kernel (26 ms for a 3x3, vs 150 ms for im2col + matmul and ~22 s for the cpu kernel).
 * - im2col (one strided slice per tap, concat, one matmul) when both stride and dilation exceed 1.
 */
export function conv2dBackpropFilterImpl(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dataFormat: DataFormat = 'NHWC',
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
  dilations: number | [number, number] = 1,
): tf.Tensor4D {
  return tf.tidy(() => {
    const xh = toNHWC(x, dataFormat);
    const dyh = toNHWC(dy, dataFormat);
    const ci = tf.backend_util.computeConv2DInfo(
      xh.shape,
      filterShape,
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const [kh, kw, cin, cout] = filterShape;
    const n = ci.batchSize * ci.outHeight * ci.outWidth;
    const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = ci;
    const { top, left } = ci.padInfo;

    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0 && ci.outHeight === ci.inHeight && ci.outWidth === ci.inWidth) {
      const g = tf.matMul(tf.transpose(tf.reshape(xh, [n, cin])), tf.reshape(dyh, [n, cout]));
      return tf.reshape(g, filterShape);
    }

    if ((sh === 1 && sw === 1) || (dh === 1 && dw === 1)) {
      // Rows of x read by the windows: top-padded x, cropped/padded at the bottom so exactly the
      // (KH-1)*dh + (OH-1)*sh + 1 rows the windows span remain.
      const spanH = (kh - 1) * dh + (ci.outHeight - 1) * sh + 1;
      const spanW = (kw - 1) * dw + (ci.outWidth - 1) * sw + 1;
      const xc = padSpatial(xh, {
        top: Math.min(0, top),
        left: Math.min(0, left),
        bottom: Math.min(0, spanH - ci.inHeight - top),
        right: Math.min(0, spanW - ci.inWidth - left),
      });
      const xt = tf.transpose(xc, [3, 1, 2, 0]); // [Ci, H', W', B]
      const dyt = tf.transpose(dyh, [1, 2, 0, 3]); // [OH, OW, B, Co]
      const explicit: tf.backend_util.ExplicitPadding = [
        [0, 0],
        [Math.max(0, top), Math.max(0, spanH - ci.inHeight - top)],
        [Math.max(0, left), Math.max(0, spanW - ci.inWidth - left)],
        [0, 0],
      ];
      // Stride and dilation swap roles. Run the kernel directly: the conv2d op refuses stride>1 with
      // dilation>1, which this needs when the original conv was strided (the backends support it).
      const g = tf.engine().runKernel(tf.Conv2D, { x: xt, filter: dyt }, {
        strides: [dh, dw],
        pad: explicit,
        dataFormat: 'NHWC',
        dilations: [sh, sw],
        dimRoundingMode: undefined,
      } as unknown as tf.NamedAttrMap) as tf.Tensor4D; // [Ci, KH, KW, Co]
      return tf.transpose(g, [1, 2, 0, 3]);
    }

    const xp = padForWindows(xh, ci);
    const taps: tf.Tensor4D[] = [];
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push(tapSlice(xp, i, j, ci));
    const cols = taps.length === 1 ? taps[0]! : tf.concat(taps, 3);
    const a = tf.reshape(cols, [n, kh * kw * cin]);
    const b = tf.reshape(dyh, [n, cout]);
    // [K*Cin, N] x [N, Cout]: an explicit transpose is faster on wasm than matMul's transposeA path.
    const dwt = tf.matMul(tf.transpose(a), b);
    return tf.reshape(dwt, filterShape);
  });
}

/**
 * dx of conv2d as a stride-1 "valid" forward convolution of the zero-dilated dy with the spatially flipped,
 * in/out-swapped filter. Uses the backend's fast forward conv kernel.
 */
export function conv2dBackpropInputImpl(
  inputShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | [number, number],
  pad: Pad,
  dataFormat: DataFormat = 'NHWC',
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
  dilations: number | [number, number] = 1,
): tf.Tensor4D {
  return tf.tidy(() => {
    const xShape = shapeToNHWC(inputShape, dataFormat);
    const dyh = toNHWC(dy, dataFormat);
    const ci = tf.backend_util.computeConv2DInfo(
      xShape,
      filter.shape,
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const dyd = zeroDilate(dyh, ci.strideHeight, ci.strideWidth);
    const p = transposedPads(ci, dyd.shape[1], dyd.shape[2]);
    // Negative amounts crop first; the remaining non-negative padding goes to the conv as explicit padding.
    const cropped = padSpatial(dyd, {
      top: Math.min(0, p.top),
      bottom: Math.min(0, p.bottom),
      left: Math.min(0, p.left),
      right: Math.min(0, p.right),
    });
    const wf = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    const explicit: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [Math.max(0, p.top), Math.max(0, p.bottom)],
      [Math.max(0, p.left), Math.max(0, p.right)],
      [0, 0],
    ];
    const dx = tf.conv2d(cropped, wf, 1, explicit, 'NHWC', [ci.dilationHeight, ci.dilationWidth]);
    return dataFormat === 'NCHW' ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
  });
}
