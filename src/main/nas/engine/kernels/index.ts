/**
 * Training kernels the wasm backend lacks (or runs slowly), registered with tf.registerKernel.
 *
 * - Conv2DBackpropFilter                  (missing on wasm)  im2col + one matmul
 * - DepthwiseConv2dNativeBackpropFilter   (missing on wasm)  per-tap product + sum
 * - DepthwiseConv2dNativeBackpropInput    (missing on wasm)  forward depthwise conv of the dilated dy
 * - MaxPoolGrad                           (wasm's is wrong for 3x3, stride 1, pad 1: max-pool-grad.ts)
 * - Conv2DBackpropInput                   (wasm's is ~6.5x its forward) forward conv of the dilated dy with
 *                                          the flipped, in/out-swapped filter
 *
 * Plus gradients for dilated Conv2D / DepthwiseConv2dNative: tfjs-core's gradients refuse dilation > 1, and the
 * cpu backend's backprop kernels ignore the dilation attribute, so dilated convolutions route to the composite
 * implementations here (correct on every backend). Undilated convolutions keep tfjs-core's behaviour.
 */
import * as tf from '../tf';
import { conv2dBackpropFilterImpl, conv2dBackpropInputImpl } from './conv2d';
import { depthwiseBackpropFilterImpl, depthwiseBackpropInputImpl } from './depthwise';
import { ensureGradientsRegistered, onGradientsLoaded } from './gradients';
import { maxPoolGradKernel } from './max-pool-grad';
import { avgPoolGradImpl, fusedBatchNormGradConfig } from './pool-bn';
import { sharedBufferKernels } from './shared-buffers';
import { asTensor, pair } from './util';

export { ensureGradientsRegistered } from './gradients';

export { conv2dBackpropFilterImpl, conv2dBackpropInputImpl } from './conv2d';
export { depthwiseBackpropFilterImpl, depthwiseBackpropInputImpl } from './depthwise';
export { avgPoolGradImpl } from './pool-bn';
export { maxPoolGradImpl } from './max-pool-grad';

type Attrs = Record<string, unknown>;
type Pad = tf.backend_util.ExplicitPadding | 'same' | 'valid' | number;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type DataFormat = 'NHWC' | 'NCHW';

const BACKEND = 'wasm';

export const WASM_TRAINING_KERNELS = [
  tf.Conv2DBackpropFilter,
  tf.Conv2DBackpropInput,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.AvgPoolGrad,
  tf.MaxPoolGrad,
] as const;

const maxPoolGradConfig: tf.KernelConfig = { kernelName: tf.MaxPoolGrad, backendName: BACKEND, kernelFunc: maxPoolGradKernel };

const avgPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.AvgPoolGrad,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs }) => {
    const a = attrs as Attrs;
    return avgPoolGradImpl(
      asTensor<tf.Rank.R4>(inputs.dy!),
      asTensor<tf.Rank.R4>(inputs.input!).shape,
      a.filterSize as [number, number],
      a.strides as [number, number],
      a.pad as Pad,
      a.dimRoundingMode as Rounding,
    );
  },
};

const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs }) => {
    const a = attrs as Attrs;
    return conv2dBackpropFilterImpl(
      asTensor<tf.Rank.R4>(inputs.x!),
      asTensor<tf.Rank.R4>(inputs.dy!),
      a.filterShape as [number, number, number, number],
      a.strides as [number, number],
      a.pad as Pad,
      (a.dataFormat as DataFormat) ?? 'NHWC',
      a.dimRoundingMode as Rounding,
    );
  },
};

const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs }) => {
    const a = attrs as Attrs;
    return conv2dBackpropInputImpl(
      a.inputShape as [number, number, number, number],
      asTensor<tf.Rank.R4>(inputs.dy!),
      asTensor<tf.Rank.R4>(inputs.filter!),
      a.strides as [number, number],
      a.pad as Pad,
      (a.dataFormat as DataFormat) ?? 'NHWC',
      a.dimRoundingMode as Rounding,
    );
  },
};

const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs }) => {
    const a = attrs as Attrs;
    return depthwiseBackpropFilterImpl(
      asTensor<tf.Rank.R4>(inputs.x!),
      asTensor<tf.Rank.R4>(inputs.dy!),
      a.filterShape as [number, number, number, number],
      a.strides as [number, number],
      a.pad as Pad,
      pair(a.dilations as number | [number, number]),
      a.dimRoundingMode as Rounding,
    );
  },
};

const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs }) => {
    const a = attrs as Attrs;
    return depthwiseBackpropInputImpl(
      a.inputShape as [number, number, number, number],
      asTensor<tf.Rank.R4>(inputs.dy!),
      asTensor<tf.Rank.R4>(inputs.filter!),
      a.strides as [number, number],
      a.pad as Pad,
      pair(a.dilations as number | [number, number]),
      a.dimRoundingMode as Rounding,
    );
  },
};

/** Gradient of Conv2D that also handles dilation > 1 (tfjs-core's asserts dilation 1). */
const conv2DGradConfig: tf.GradConfig = {
  kernelName: tf.Conv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x4, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as Attrs;
    const dil = pair(a.dilations as number | [number, number]);
    const strides = a.strides as [number, number];
    const pad = a.pad as Pad;
    const fmt = ((a.dataFormat as DataFormat) ?? 'NHWC') as DataFormat;
    const rounding = a.dimRoundingMode as Rounding;
    const dy4 = dy as tf.Tensor4D;
    if (dil[0] === 1 && dil[1] === 1) {
      return {
        x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dy4, filter }, {
          strides, pad, dataFormat: fmt, dimRoundingMode: rounding, inputShape: x4.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: x4, dy: dy4 }, {
          strides, pad, dataFormat: fmt, dimRoundingMode: rounding, filterShape: filter.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      };
    }
    return {
      x: () => conv2dBackpropInputImpl(x4.shape, dy4, filter, strides, pad, fmt, rounding, dil),
      filter: () => conv2dBackpropFilterImpl(x4, dy4, filter.shape, strides, pad, fmt, rounding, dil),
    };
  },
};

/** Gradient of DepthwiseConv2dNative that also handles dilation > 1 (tfjs-core's asserts dilation 1). */
const depthwiseGradConfig: tf.GradConfig = {
  kernelName: tf.DepthwiseConv2dNative,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as Attrs;
    const dil = pair(a.dilations as number | [number, number]);
    const strides = a.strides as [number, number];
    const pad = a.pad as Pad;
    const rounding = a.dimRoundingMode as Rounding;
    const dy4 = dy as tf.Tensor4D;
    if (dil[0] === 1 && dil[1] === 1) {
      const common = { strides, pad, dimRoundingMode: rounding, dilations: dil };
      return {
        x: () => tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: dy4, filter }, {
          ...common, inputShape: x.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () => tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy: dy4 }, {
          ...common, filterShape: filter.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      };
    }
    return {
      x: () => depthwiseBackpropInputImpl(x.shape, dy4, filter, strides, pad, dil, rounding),
      filter: () => depthwiseBackpropFilterImpl(x, dy4, filter.shape, strides, pad, dil, rounding),
    };
  },
};

export interface WasmKernelOptions {
  /**
   * Replace wasm's own Conv2DBackpropInput with the forward-conv formulation (default true: measured faster,
   * see README-perf.md). false restores wasm's original kernel.
   */
  fastConv2dBackpropInput?: boolean;
  /**
   * Identity and same-dtype Cast share their input's buffer instead of copying it (shared-buffers.ts).
   * Default true; false restores tfjs's copying kernels (for comparison).
   */
  shareBuffers?: boolean;
}

/**
 * Register the AvgPoolGrad border-divisor fix (a composite, correct on any backend) for `backendName`: tfjs's own
 * kernel is wrong on every backend (see registerWasmTrainingKernels). Idempotent.
 */
export function registerAvgPoolGradFix(backendName: string): void {
  if (tf.getKernel(tf.AvgPoolGrad, backendName)?.kernelFunc === avgPoolGradConfig.kernelFunc) return;
  setKernel({ ...avgPoolGradConfig, backendName });
}

let registered = false;
let originalBackpropInput: tf.KernelConfig | undefined;
let fastInputActive = false;
let originalIdentity: tf.KernelConfig | undefined;
let originalCast: tf.KernelConfig | undefined;
let sharingActive = false;

function setKernel(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

/**
 * registerWasmTrainingKernels() and tfjs-core's gradient functions, in the right order. Idempotent.
 */
export async function prepareWasmTraining(options: WasmKernelOptions = {}): Promise<void> {
  registerWasmTrainingKernels(options);
  await ensureGradientsRegistered();
}

/**
 * Register the wasm training kernels and the dilation-aware conv gradients. Idempotent; call before
 * tf.setBackend('wasm') (kernels registered afterwards also work, they are looked up at dispatch time).
 */
export function registerWasmTrainingKernels(options: WasmKernelOptions = {}): void {
  const fastInput = options.fastConv2dBackpropInput ?? true;
  if (!registered) {
    const existing = tf.getKernel(tf.Conv2DBackpropInput, BACKEND);
    if (existing && existing !== conv2DBackpropInputConfig) originalBackpropInput = existing;
    setKernel(conv2DBackpropFilterConfig);
    setKernel(depthwiseBackpropFilterConfig);
    setKernel(depthwiseBackpropInputConfig);
    setKernel(avgPoolGradConfig);
    setKernel(maxPoolGradConfig);
    // tfjs's own AvgPoolGrad divides by the full window at padded borders while the forward pass averages
    // only in-bounds cells: wrong on every backend, so the cpu backend gets the correct one too.
    setKernel({ ...avgPoolGradConfig, backendName: 'cpu' });
    // Re-applied after tfjs-core's own gradients load, which would otherwise overwrite these two.
    onGradientsLoaded(() => {
      tf.registerGradient(conv2DGradConfig);
      tf.registerGradient(depthwiseGradConfig);
      tf.registerGradient(fusedBatchNormGradConfig);
    });
    registered = true;
  }
  if (fastInput !== fastInputActive || !tf.getKernel(tf.Conv2DBackpropInput, BACKEND)) {
    if (fastInput) setKernel(conv2DBackpropInputConfig);
    else if (originalBackpropInput) {
      setKernel(originalBackpropInput);
      // Its setupFunc (which binds the wasm function) only runs when the backend initialises.
      const wasm = tf.findBackend(BACKEND);
      if (wasm && originalBackpropInput.setupFunc) originalBackpropInput.setupFunc(wasm);
    }
    else tf.unregisterKernel(tf.Conv2DBackpropInput, BACKEND);
    fastInputActive = fastInput;
  }
  originalIdentity ??= tf.getKernel(tf.Identity, BACKEND);
  originalCast ??= tf.getKernel(tf.Cast, BACKEND);
  // Sharing needs tfjs's own kernels to fall back to (loaded with @tensorflow/tfjs-backend-wasm).
  const share = (options.shareBuffers ?? true) && originalIdentity !== undefined && originalCast !== undefined;
  if (share !== sharingActive) {
    const kernels = share ? sharedBufferKernels(originalIdentity, originalCast) : [originalIdentity, originalCast];
    for (const k of kernels) if (k) setKernel(k);
    sharingActive = share;
  }
}
