/**
 * Helpers shared by the composite training kernels.
 *
 * The kernels in this folder are "composite": their kernelFunc runs ordinary tfjs ops (which dispatch to the
 * active backend's own fast kernels) inside a tf.tidy and returns the resulting Tensor. tfjs supports this:
 * the engine accepts a Tensor returned by a kernelFunc as the kernel's output, nested ops run with the gradient
 * tape off (kernelDepth > 0), and the tidy disposes every intermediate.
 */
import * as tf from '../tf';

export type Pads = { top: number; bottom: number; left: number; right: number };

/** Turn the TensorInfo a kernel receives into a Tensor (it already is one when called through tf ops). */
export function asTensor<R extends tf.Rank>(info: tf.TensorInfo): tf.Tensor<R> {
  if (info instanceof tf.Tensor) return info as tf.Tensor<R>;
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
}

export function pair(v: number | [number, number] | undefined | null): [number, number] {
  if (v == null) return [1, 1];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** Pad only the spatial axes of an NHWC tensor; negative amounts crop. Returns the input when nothing to do. */
export function padSpatial(x: tf.Tensor4D, p: Pads): tf.Tensor4D {
  let y = x;
  const cropT = Math.max(0, -p.top);
  const cropB = Math.max(0, -p.bottom);
  const cropL = Math.max(0, -p.left);
  const cropR = Math.max(0, -p.right);
  if (cropT || cropB || cropL || cropR) {
    const [b, h, w, c] = y.shape;
    y = tf.slice(y, [0, cropT, cropL, 0], [b, h - cropT - cropB, w - cropL - cropR, c]);
  }
  const t = Math.max(0, p.top);
  const bo = Math.max(0, p.bottom);
  const l = Math.max(0, p.left);
  const r = Math.max(0, p.right);
  if (t || bo || l || r) {
    y = tf.pad(y, [
      [0, 0],
      [t, bo],
      [l, r],
      [0, 0],
    ]);
  }
  return y;
}

/**
 * The strided window of the padded input seen by filter tap (kh, kw): shape [B, outH, outW, C].
 * `xp` must already be padded so that the last window fits.
 */
export function tapSlice(
  xp: tf.Tensor4D,
  kh: number,
  kw: number,
  info: { dilationHeight: number; dilationWidth: number; strideHeight: number; strideWidth: number; outHeight: number; outWidth: number },
): tf.Tensor4D {
  const [b, , , c] = xp.shape;
  const r0 = kh * info.dilationHeight;
  const c0 = kw * info.dilationWidth;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  if (sh === 1 && sw === 1) {
    if (r0 === 0 && c0 === 0 && xp.shape[1] === info.outHeight && xp.shape[2] === info.outWidth) return xp;
    return tf.slice(xp, [0, r0, c0, 0], [b, info.outHeight, info.outWidth, c]);
  }
  return tf.stridedSlice(
    xp,
    [0, r0, c0, 0],
    [b, r0 + (info.outHeight - 1) * sh + 1, c0 + (info.outWidth - 1) * sw + 1, c],
    [1, sh, sw, 1],
  ) as tf.Tensor4D;
}

/**
 * Pad x (NHWC) with the convolution's padding, plus any extra rows/cols the last window needs
 * (dimRoundingMode 'ceil' can let it run past the declared padding).
 */
export function padForWindows(x: tf.Tensor4D, ci: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { top, bottom, left, right } = ci.padInfo;
  const needH = (ci.outHeight - 1) * ci.strideHeight + ci.effectiveFilterHeight;
  const needW = (ci.outWidth - 1) * ci.strideWidth + ci.effectiveFilterWidth;
  const extraB = Math.max(0, needH - (ci.inHeight + top + bottom));
  const extraR = Math.max(0, needW - (ci.inWidth + left + right));
  return padSpatial(x, { top, bottom: bottom + extraB, left, right: right + extraR });
}

/**
 * Spread dy [B, OH, OW, C] onto a stride grid: result [B, OH*sh, OW*sw, C] with dy at (i*sh, j*sw) and zeros
 * elsewhere (the "fractionally strided" input of a transposed convolution).
 */
export function zeroDilate(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [b, oh, ow, c] = dy.shape;
  let y: tf.Tensor = dy;
  if (sh > 1) {
    y = tf.pad(tf.reshape(y, [b * oh, 1, ow * c]), [
      [0, 0],
      [0, sh - 1],
      [0, 0],
    ]);
  }
  if (sw > 1) {
    y = tf.pad(tf.reshape(y, [b * oh * sh * ow, 1, c]), [
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
  }
  return tf.reshape(y, [b, oh * sh, ow * sw, c]);
}

/**
 * Padding that turns the input gradient of a convolution into a stride-1 "valid" correlation of the
 * zero-dilated dy with the spatially flipped filter. With L = length of the dilated dy (OH*sh):
 * left = (K-1)*d - padTop, right = H + padTop - L  (either may be negative: crop).
 */
export function transposedPads(ci: tf.backend_util.Conv2DInfo, dilatedH: number, dilatedW: number): Pads {
  const top = ci.effectiveFilterHeight - 1 - ci.padInfo.top;
  const left = ci.effectiveFilterWidth - 1 - ci.padInfo.left;
  return {
    top,
    left,
    bottom: ci.inHeight + ci.padInfo.top - dilatedH,
    right: ci.inWidth + ci.padInfo.left - dilatedW,
  };
}
