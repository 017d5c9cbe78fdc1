import * as tf from '../tf';

// Identity and same-dtype Cast on wasm without a copy: the output shares the input's buffer, reference counted,
// as tfjs's own Reshape does. tfjs copies every tensor the tape saves for the backward pass through Identity,
// so this spares a copy of each saved activation (time and wasm heap). Sharing is safe because tensors are
// immutable: no kernel, here or in tfjs, writes into an input's buffer, and a Variable's assign() points it
// at a new buffer rather than overwriting the old one.

interface WasmBackendBuffers {
  incRef(dataId: object): void;
}

/** The output TensorInfo that shares `x`'s buffer. */
function share(x: tf.TensorInfo, backend: WasmBackendBuffers): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/**
 * Kernel configs that share buffers, falling back to `original` (tfjs's own kernel) where a copy is
 * needed: strings (held outside the heap) and casts to another dtype (which convert every value).
 */
export function sharedBufferKernels(originalIdentity: tf.KernelConfig | undefined, originalCast: tf.KernelConfig | undefined): tf.KernelConfig[] {
  const fallback = (config: tf.KernelConfig | undefined, name: string) => {
    if (!config) throw new Error(`tfjs-backend-wasm has no ${name} kernel to fall back to.`);
    return config.kernelFunc;
  };
  return [
    {
      kernelName: tf.Identity,
      backendName: 'wasm',
      kernelFunc: (args) => {
        const x = args.inputs.x as tf.TensorInfo;
        return x.dtype === 'string' ? fallback(originalIdentity, 'Identity')(args) : share(x, args.backend as unknown as WasmBackendBuffers);
      },
    },
    {
      kernelName: tf.Cast,
      backendName: 'wasm',
      kernelFunc: (args) => {
        const x = args.inputs.x as tf.TensorInfo;
        const dtype = (args.attrs as { dtype: tf.DataType }).dtype;
        return x.dtype === dtype && dtype !== 'string' ? share(x, args.backend as unknown as WasmBackendBuffers) : fallback(originalCast, 'Cast')(args);
      },
    },
  ];
}
