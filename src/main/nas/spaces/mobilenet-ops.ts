import * as tf from '../engine/tf';
import { batchNorm, type Layer } from '../engine/layers';
import type { ParamStore } from '../engine/params';
import type { MobilenetOpSpec } from '../../../shared/spaces/mobilenet';

// The candidate ops of an InstaNAS block (ALGORITHMS.md §1.3), on the engine's layers (PyTorch padding and
// BatchNorm semantics, seeded initialisation). Parameters are created when the op is built, in a fixed order.

function conv(x: tf.Tensor4D, w: tf.Variable, stride: number, pad: number): tf.Tensor4D {
  return tf.conv2d(x, w as tf.Tensor4D, stride, pad);
}

/**
 * Depthwise k×k conv (multiplier 1, PyTorch padding) whose filter gradient runs as one depthwise forward conv
 * ("batch as channels": the padded input with (channel, sample) pairs as channels, filtered by dy, dilated by
 * the stride, then summed over the samples). The engine's tap-by-tap filter gradient spends most of an
 * inverted residual's backward pass on wasm reducing over the batch axis; this one is a single fast kernel.
 */
export function depthwiseConv(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  const f = tf.customGrad(((xIn: tf.Tensor4D, wIn: tf.Tensor4D, save: tf.GradSaveFunc) => {
    save([xIn, wIn]);
    return {
      value: tf.depthwiseConv2d(xIn, wIn, stride, pad),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        // The input gradient is tfjs's own kernel (a nested tf.grad would end the outer gradient's tape).
        const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: ws }, { strides: stride, pad, dilations: 1, inputShape: xs.shape } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
        return [dx, depthwiseFilterGrad(xs, dy, ws.shape[0], stride, pad)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D;
  return f(x, w);
}

/** dW[i,j,c] = Σ_{b,oh,ow} xpad[b, oh·s + i, ow·s + j, c] · dy[b, oh, ow, c]. */
export function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, stride: number, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, , , c] = x.shape;
    const [, oh, ow] = dy.shape;
    const xp = pad ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
    const [, hp, wp] = xp.shape;
    const xT = tf.reshape(tf.transpose(xp, [1, 2, 3, 0]), [1, hp, wp, c * b]) as tf.Tensor4D;
    const dyT = tf.reshape(tf.transpose(dy, [1, 2, 3, 0]), [oh, ow, c * b, 1]) as tf.Tensor4D;
    const r = tf.depthwiseConv2d(xT, dyT, 1, 'valid', 'NHWC', stride);
    const taps = tf.slice(r, [0, 0, 0, 0], [1, k, k, c * b]);
    return tf.reshape(tf.sum(tf.reshape(taps, [k, k, c, b]), 3), [k, k, c, 1]) as tf.Tensor4D;
  });
}

/**
 * Inverted residual branch: 1×1 expand → BN → ReLU → k×k depthwise (stride s) → BN → ReLU → 1×1 project → BN.
 * The identity shortcut is not here: the block adds x once for all its ops (see MobilenetMetaGraph.run).
 */
export function invertedResidual(p: ParamStore, name: string, cin: number, cout: number, kernel: number, expansion: number, stride: number): Layer {
  const hidden = cin * expansion;
  const expand = p.conv(`${name}.expand.conv`, 1, 1, cin, hidden);
  const expandBn = p.batchNorm(`${name}.expand.bn`, hidden, true);
  const dw = p.depthwise(`${name}.dw.conv`, kernel, kernel, hidden);
  const dwBn = p.batchNorm(`${name}.dw.bn`, hidden, true);
  const project = p.conv(`${name}.project.conv`, 1, 1, hidden, cout);
  const projectBn = p.batchNorm(`${name}.project.bn`, cout, true);
  return (ctx, x) => {
    const h = tf.relu(batchNorm(ctx, conv(x, expand, 1, 0), expandBn));
    const d = tf.relu(batchNorm(ctx, depthwiseConv(h, dw as unknown as tf.Tensor4D, stride, (kernel - 1) / 2), dwBn));
    return batchNorm(ctx, conv(d, project, 1, 0), projectBn);
  };
}

/** InstaNAS's "BasicBlock": 3×3 conv (stride s) → BN → ReLU → 3×3 conv → BN → ReLU6, no shortcut. */
export function basicBlock(p: ParamStore, name: string, cin: number, cout: number, stride: number): Layer {
  const w1 = p.conv(`${name}.conv1`, 3, 3, cin, cout);
  const bn1 = p.batchNorm(`${name}.bn1`, cout, true);
  const w2 = p.conv(`${name}.conv2`, 3, 3, cout, cout);
  const bn2 = p.batchNorm(`${name}.bn2`, cout, true);
  return (ctx, x) => tf.relu6(batchNorm(ctx, conv(tf.relu(batchNorm(ctx, conv(x, w1, stride, 1), bn1)), w2, 1, 1), bn2));
}

export function candidateOp(p: ParamStore, name: string, spec: MobilenetOpSpec, cin: number, cout: number, stride: number): Layer {
  return spec.kind === 'ir' ? invertedResidual(p, name, cin, cout, spec.kernel, spec.expansion, stride) : basicBlock(p, name, cin, cout, stride);
}

/** conv k×k → BN → ReLU (the stem and the head's 1×1). */
export function convBnRelu(p: ParamStore, name: string, cin: number, cout: number, k: number, stride: number): Layer {
  const w = p.conv(`${name}.conv`, k, k, cin, cout);
  const bn = p.batchNorm(`${name}.bn`, cout, true);
  return (ctx, x) => tf.relu(batchNorm(ctx, conv(x, w, stride, (k - 1) / 2), bn));
}
