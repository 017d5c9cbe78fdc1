/**
 * The `webgpu` training backend: tfjs's WebGPU backend on Dawn's Node binding (Vulkan on Linux, D3D12 on
 * Windows, Metal on macOS; no CUDA, no download). Loaded only when chosen or probed: importing this module
 * loads neither Dawn nor the tfjs backend.
 */
import { existsSync } from 'node:fs';
import type { GpuAdapter } from '../../../shared/backends';
import * as tf from './tf';
import { registerWebgpuKernels } from './kernels/webgpu';
import { dawnGpu, type GpuAdapterLike, type GpuDeviceLike, type GpuLike } from './webgpu-dawn';
import { FaultLatch, GpuFaultError, faultFromGpuError } from './webgpu-faults';
import { guardReads } from './webgpu-reads';

export { GpuFaultError } from './webgpu-faults';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface WebgpuDescription {
  /** The adapter Dawn picks for training (high-performance preference); null when there is none. */
  adapter: GpuAdapter | null;
  /** Why webgpu cannot be used, or its caveat (a software adapter); null when nothing to say. */
  reason: string | null;
  /** What the user can do about `reason`; null when nothing. */
  fix: string | null;
}

const GRAPHICS_API: Record<string, string> = { linux: 'Vulkan', win32: 'Direct3D 12', darwin: 'Metal' };

function api(): string {
  return GRAPHICS_API[process.platform] ?? 'the native graphics API';
}

/** How to get a GPU adapter; `offerSoftware` adds the SwiftShader route (not when that is what runs already). */
function driverFix(offerSoftware = true): string {
  if (process.platform === 'linux') {
    const software = offerSoftware
      ? ` On Linux without a GPU, VK_ICD_FILENAMES=${SWIFTSHADER_ICD} (from the chromium package) gives a slow software device for testing.`
      : '';
    return (
      "Install your GPU's Vulkan driver and the Vulkan loader (Debian/Ubuntu: apt install libvulkan1 " +
      'mesa-vulkan-drivers for AMD and Intel; the NVIDIA driver for NVIDIA), then restart NAS Studio.' +
      software
    );
  }
  if (process.platform === 'win32') return 'Install or update your GPU driver (it must support Direct3D 12), then restart NAS Studio.';
  return 'Update macOS and your GPU driver (WebGPU needs Metal), then restart NAS Studio.';
}

function errText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
}

export function toGpuAdapter(a: GpuAdapterLike): GpuAdapter {
  const info = a.info;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? a.isFallbackAdapter ?? false),
    maxBufferSize: a.limits.maxBufferSize,
    maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize,
  };
}

/** A human name for the adapter: its description, else vendor and architecture. */
export function adapterName(a: GpuAdapter): string {
  const name = a.description || a.device || [a.vendor, a.architecture].filter(Boolean).join(' ');
  return name || 'unnamed adapter';
}

/** e.g. "GPU (NVIDIA GeForce RTX 4090 via WebGPU/Vulkan)"; a fallback adapter says "software". */
export function webgpuDeviceString(a: GpuAdapter): string {
  return a.isFallbackAdapter
    ? `software GPU (${adapterName(a)} via WebGPU/${api()}; slow, for testing)`
    : `GPU (${adapterName(a)} via WebGPU/${api()})`;
}

function requestAdapter(gpu: GpuLike): Promise<GpuAdapterLike | null> {
  return gpu.requestAdapter({ powerPreference: 'high-performance' });
}

/**
 * What webgpu would run on, without initialising tfjs (for the backend doctor and the probe). Loads Dawn (a
 * native module) on first call; never throws.
 */
export async function describeWebgpu(): Promise<WebgpuDescription> {
  let gpu: GpuLike;
  try {
    gpu = await dawnGpu();
  } catch (e) {
    return {
      adapter: null,
      reason: `The WebGPU runtime (npm package "webgpu", Dawn's Node binding) failed to load: ${errText(e)}.`,
      fix: "Reinstall NAS Studio's dependencies (npm ci); the package ships its native module, no download needed.",
    };
  }
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await requestAdapter(gpu);
  } catch (e) {
    adapter = null;
    return { adapter: null, reason: `WebGPU found no usable GPU: requesting an adapter failed (${errText(e)}).`, fix: driverFix() };
  }
  if (!adapter) {
    const icd = process.env.VK_ICD_FILENAMES;
    const icdNote = icd && !existsSync(icd) ? ` VK_ICD_FILENAMES points at ${icd}, which does not exist.` : '';
    return {
      adapter: null,
      reason: `WebGPU found no GPU adapter: no working ${api()} driver is installed (or the GPU is not supported by Dawn).${icdNote}`,
      fix: driverFix(),
    };
  }
  const info = toGpuAdapter(adapter);
  if (info.isFallbackAdapter) {
    return {
      adapter: info,
      reason: `Only a software GPU adapter is available (${adapterName(info)}): it computes correctly but far slower than the CPU backends, so it is for testing only.`,
      fix: driverFix(false),
    };
  }
  return { adapter: info, reason: null, fix: null };
}

interface WebgpuState {
  adapter: GpuAdapter;
  device: GpuDeviceLike;
  latch: FaultLatch;
}

let state: WebgpuState | null = null;
let factoryRegistered = false;

/** The active webgpu device's fault latch (null before webgpu initialises). */
export function webgpuFaults(): FaultLatch | null {
  return state?.latch ?? null;
}

/** Our factory replaces tfjs's: the same device limits, plus fault watching and synchronous reads. */
async function createBackend(): Promise<tf.KernelBackend> {
  const gpu = await dawnGpu();
  const adapter = await requestAdapter(gpu);
  if (!adapter) throw new Error('WebGPU found no GPU adapter.');
  const limits = adapter.limits;
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      // More inputs per shader: fewer AddN chunks (kernels/webgpu.ts).
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    },
  });
  const latch = new FaultLatch();
  device.onuncapturederror = (e) => latch.record(faultFromGpuError(e.error));
  // Nothing here destroys the device (tfjs's dispose() leaves it): any loss is the driver or the OS taking it.
  void device.lost.then((info) => latch.record(new GpuFaultError('device-lost', info.message || String(info.reason))));
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  const backend = new WebGPUBackend(device as never, adapter.info as never);
  guardReads(backend, latch);
  state = { adapter: toGpuAdapter(adapter), device, latch };
  return backend;
}

export interface WebgpuInit {
  device: string;
  adapter: GpuAdapter;
}

/** Initialise tfjs on webgpu (tf.setBackend('webgpu')); throws in plain words, with the fix, when it cannot. */
export async function initWebgpu(): Promise<WebgpuInit> {
  const described = await describeWebgpu();
  if (!described.adapter) throw new Error(`Backend "webgpu" cannot be used: ${described.reason} ${described.fix ?? ''}`.trim());
  if (!factoryRegistered) {
    // The globals exist now (describeWebgpu loaded Dawn), so the module registers tfjs's own factory: replace it.
    await import('@tensorflow/tfjs-backend-webgpu');
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', createBackend, 1);
    factoryRegistered = true;
  }
  registerWebgpuKernels();
  let ok: boolean;
  try {
    ok = await tf.setBackend('webgpu');
  } catch (e) {
    throw new Error(`Backend "webgpu" failed to start on ${adapterName(described.adapter)}: ${errText(e)}. ${driverFix(!described.adapter.isFallbackAdapter)}`);
  }
  if (!ok || !state) throw new Error(`Backend "webgpu" failed to start on ${adapterName(described.adapter)}. ${driverFix(!described.adapter.isFallbackAdapter)}`);
  return { device: webgpuDeviceString(state.adapter), adapter: state.adapter };
}
