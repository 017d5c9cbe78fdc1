/**
 * Kernel fixes for tfjs's WebGPU backend (4.22), registered when webgpu initialises.
 *
 * - AddN: one shader binds every input as a storage buffer, and a device allows only
 *   maxStorageBuffersPerShaderStage of them (8 by default, 12 on SwiftShader). The gradient tape sums a
 *   tensor's gradients with AddN, and a supernet's input to a cell feeds dozens of ops, so the shader is
 *   refused ("The number of storage buffers (58) … exceeds the maximum per-stage limit"). Here inputs are summed
 *   in chunks that fit, then the partial sums (tfjs's Concat already chunks this way).
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

/** Register the webgpu kernel fixes; call once tfjs-backend-webgpu is loaded (idempotent). */
export function registerWebgpuKernels(): void {
  registerAvgPoolGradFix(BACKEND);
  const current = tf.getKernel(tf.AddN, BACKEND);
  if (!current || current.kernelFunc === chunkedAddN) return;
  tfjsAddN = current;
  tf.unregisterKernel(tf.AddN, BACKEND);
  tf.registerKernel({ kernelName: tf.AddN, backendName: BACKEND, kernelFunc: chunkedAddN });
}
