/**
 * Kernel fixes for tfjs's WebGPU backend (4.22), registered when webgpu initialises.
 *
 * - AddN: one shader binds every input as a storage buffer, and a device allows only
 *   maxStorageBuffersPerShaderStage of them (8 by default, 12 on SwiftShader). The gradient tape sums a
 *   tensor's gradients with AddN, and a supernet's input to a cell feeds dozens of ops, so the shader is
 *   refused ("The number of storage buffers (58) … exceeds the maximum per-stage limit"). Here inputs are summed
 *   in chunks that fit, then the partial sums (tfjs's Concat already chunks this way).
 * - PadV2 of rank 5 and 6: its shader indexes a vec5/vec6 struct as an array and does not compile ("cannot index
 *   type 'vec6'"); the DARTS space pads rank-6 views (layers.ts subsample's gradient, spaceToBatchND). Here such a
 *   pad is done one axis at a time on a rank-3 view [outer, axis, inner].
 * - AvgPoolGrad: the border-divisor fix (kernels/index.ts), as on every other backend.
 */
import * as tf from '../tf';
import { registerAvgPoolGradFix } from './index';
import { asTensor } from './util';

const BACKEND = 'webgpu';

let tfjsAddN: tf.KernelConfig | undefined;

function maxInputs(backend: object): number {
  const limits = (backend as { device?: { limits?: { maxStorageBuffersPerShaderStage?: number } } }).device?.limits;
  // One binding is the output.
  return Math.max(2, (limits?.maxStorageBuffersPerShaderStage ?? 8) - 1);
}

const chunkedAddN: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const xs = Object.values(inputs) as tf.TensorInfo[];
  const max = maxInputs(backend);
  if (xs.length <= max) return tfjsAddN!.kernelFunc({ inputs, backend, attrs });
  return tf.tidy(() => {
    let ts = xs.map((x) => asTensor(x));
    while (ts.length > max) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < ts.length; i += max) {
        const chunk = ts.slice(i, i + max);
        next.push(chunk.length === 1 ? chunk[0]! : tf.addN(chunk));
      }
      ts = next;
    }
    return tf.addN(ts);
  });
};

let tfjsPad: tf.KernelConfig | undefined;

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

const lowRankPad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (x.shape.length <= 4) return tfjsPad!.kernelFunc({ inputs, backend, attrs });
  const { paddings, constantValue } = attrs as unknown as { paddings: [number, number][]; constantValue: number };
  return tf.tidy(() => {
    let y = tf.clone(asTensor(x));
    paddings.forEach(([before, after], axis) => {
      if (before === 0 && after === 0) return;
      const s = y.shape;
      const view = tf.reshape(y, [prod(s.slice(0, axis)), s[axis]!, prod(s.slice(axis + 1))]);
      const padded = tf.pad(view, [[0, 0], [before, after], [0, 0]], constantValue);
      y = tf.reshape(padded, [...s.slice(0, axis), s[axis]! + before + after, ...s.slice(axis + 1)]);
    });
    return y;
  });
};

function replaceKernel(name: string, kernelFunc: tf.KernelFunc): tf.KernelConfig | undefined {
  const current = tf.getKernel(name, BACKEND);
  if (!current || current.kernelFunc === kernelFunc) return undefined;
  tf.unregisterKernel(name, BACKEND);
  tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc });
  return current;
}

/** Register the webgpu kernel fixes; call once tfjs-backend-webgpu is loaded (idempotent). */
export function registerWebgpuKernels(): void {
  registerAvgPoolGradFix(BACKEND);
  tfjsAddN = replaceKernel(tf.AddN, chunkedAddN) ?? tfjsAddN;
  tfjsPad = replaceKernel(tf.PadV2, lowRankPad) ?? tfjsPad;
}
