/**
 * Reads from the GPU for tfjs's WebGPU backend in Node:
 * - readSync (dataSync, arraySync): tfjs reads through OffscreenCanvas, which Node lacks; here a staging buffer
 *   is mapped and Dawn's event pump is run on the spot until the map completes (webgpu-dawn.ts).
 * - every read first checks the device's fault latch, and fails with its GpuFaultError: after a fault the
 *   buffers hold garbage or never map, so training must stop rather than continue or wait forever.
 */
import * as tf from './tf';
import { pumpUntil } from './webgpu-dawn';
import { GpuFaultError, type FaultLatch } from './webgpu-faults';

/** A read waits for all GPU work queued before it; longer than this means the GPU stopped answering. */
const READ_TIMEOUT_MS = 10 * 60_000;

interface GpuBuffer {
  size: number;
  mapState: 'unmapped' | 'pending' | 'mapped';
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
}

interface TensorData {
  values: tf.backend_util.BackendValues | null;
  dtype: tf.DataType;
  resource: GpuBuffer;
}

// The private parts of tfjs-backend-webgpu 4.22's WebGPUBackend that a read uses (see its getBufferData).
interface WebgpuInternals {
  tensorMap: { get(id: tf.DataId): TensorData; has(id: tf.DataId): boolean };
  bufferManager: { acquireBuffer(size: number, usage: number): GpuBuffer; releaseBuffer(b: GpuBuffer): void };
  commandEncoder: { copyBufferToBuffer(src: GpuBuffer, so: number, dst: GpuBuffer, d: number, size: number): void };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  convertAndCacheOnCPU(id: tf.DataId, v: tf.backend_util.BackendValues): tf.backend_util.BackendValues;
  readSync(id: tf.DataId): tf.backend_util.BackendValues;
  read(id: tf.DataId): Promise<tf.backend_util.BackendValues>;
}

const gpuConst = () => globalThis as unknown as { GPUBufferUsage: { COPY_DST: number; MAP_READ: number }; GPUMapMode: { READ: number } };

function readBufferSync(b: WebgpuInternals, buffer: GpuBuffer, latch: FaultLatch, timeoutMs: number): ArrayBuffer {
  const { GPUBufferUsage, GPUMapMode } = gpuConst();
  const size = buffer.size;
  const staging = b.bufferManager.acquireBuffer(size, GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ);
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  b.commandEncoder.copyBufferToBuffer(buffer, 0, staging, 0, size);
  b.submitQueue();
  try {
    pumpUntil(
      // A failed map is reported through mapState below; the rejection itself needs a handler.
      () => void staging.mapAsync(GPUMapMode.READ).catch(() => {}),
      () => staging.mapState !== 'pending',
      timeoutMs,
    );
  } catch (e) {
    latch.record(new GpuFaultError('timeout', (e as Error).message));
    latch.check();
  }
  latch.check();
  if (staging.mapState !== 'mapped') {
    latch.record(new GpuFaultError('device-lost', 'the GPU could not return the data of a tensor'));
    latch.check();
  }
  const values = staging.getMappedRange().slice(0);
  staging.unmap();
  b.bufferManager.releaseBuffer(staging);
  return values;
}

/** Install the synchronous read and the fault checks on a freshly created WebGPUBackend. */
export function guardReads(backend: tf.KernelBackend, latch: FaultLatch, timeoutMs = READ_TIMEOUT_MS): void {
  const b = backend as unknown as WebgpuInternals;
  const asyncRead = b.read.bind(b);
  b.read = async (dataId) => {
    latch.check();
    try {
      const values = await asyncRead(dataId);
      latch.check();
      return values;
    } catch (e) {
      latch.check();
      throw e;
    }
  };
  b.readSync = (dataId) => {
    latch.check();
    const data = b.tensorMap.get(dataId);
    if (data.values != null || data.dtype === 'string') return data.values!;
    if (data.dtype === 'complex64') throw new Error('Reading a complex64 tensor synchronously is not supported on webgpu in Node: use data().');
    const raw = readBufferSync(b, data.resource, latch, timeoutMs);
    return b.convertAndCacheOnCPU(dataId, tf.util.convertBackendValuesAndArrayBuffer(raw, data.dtype));
  };
}
