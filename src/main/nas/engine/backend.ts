/**
 * Backend choice for the training engine (see shared/ENGINE.md, ARCHITECTURE.md §5).
 *
 * auto: native TensorFlow (`@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`) → WebAssembly → plain JS
 * cpu. webgpu (Dawn + tfjs's WebGPU backend, webgpu.ts) is loaded only when chosen or probed. The native packages are optionalDependencies that download libtensorflow at install time, so they are
 * often absent; then we fall back and say why, in words a user can act on. An explicit preference that cannot
 * be honoured throws.
 */
import * as tf from './tf';
import '@tensorflow/tfjs-backend-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { GpuAdapter } from '../../../shared/backends';
import { ensureGradientsRegistered, registerWasmTrainingKernels } from './kernels';

export type BackendPreference = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** tfjs backend name: 'tensorflow' | 'webgpu' | 'wasm' | 'cpu' */
  backend: string;
  /** human-readable device, e.g. "CPU (WebAssembly, SIMD)" */
  device: string;
  /** why a better backend was not used (plain language, with the fix); null when nothing was given up */
  fallbackReason: string | null;
  /** The GPU adapter webgpu runs on (vendor, architecture, driver, fallback or not); absent on other backends. */
  adapter?: GpuAdapter | null;
}

const NATIVE_GPU_PKG = '@tensorflow/tfjs-node-gpu';
const NATIVE_CPU_PKG = '@tensorflow/tfjs-node';

const NATIVE_MISSING =
  `The native TensorFlow backend (${NATIVE_GPU_PKG} / ${NATIVE_CPU_PKG}) is not installed: it downloads ` +
  'libtensorflow from Google when it installs, which needs internet access, so on this machine the optional ' +
  'install was skipped.';
// GPU users first: webgpu needs no CUDA and no download; tfjs-node-gpu only works with CUDA 11.2 + cuDNN 8.1.
const GPU_HINT =
  'To train on a GPU (NVIDIA, AMD or Intel; no CUDA needed), choose the webgpu backend: it needs the GPU\'s ' +
  'Vulkan driver (Direct3D 12 on Windows, Metal on macOS), and "nas-studio doctor" or the Diagnostics page says ' +
  `whether it loads. For faster CPU training, run "npm install ${NATIVE_CPU_PKG}" on a machine with ` +
  `internet access, then restart NAS Studio (${NATIVE_GPU_PKG} works only with CUDA 11.2 and cuDNN 8.1).`;

type Attempt = { ok: true; info: BackendInfo } | { ok: false; error: string };

const cache = new Map<string, Promise<BackendInfo>>();
let nativePackage: string | null = null;

function errText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.slice(0, 300);
}

function isMissingModule(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(errText(e));
}

function gpuName(): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      execFile('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { timeout: 3000 }, (err, stdout) => {
        if (err) return resolve(null);
        const name = stdout.split('\n')[0]?.trim();
        resolve(name ? name : null);
      });
    } catch {
      resolve(null);
    }
  });
}

function cpuModel(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.trim();
  return `${model && model.length > 0 ? model : 'CPU'}, ${cpus.length} cores`;
}

/** Whether `pkg` is absent, present without its compiled binding (lib/napi-vN/tfjs_binding.node), or built. */
function nativeState(pkg: string): 'absent' | 'no-binding' | 'built' {
  let dir: string;
  try {
    dir = path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    return 'absent';
  }
  const lib = path.join(dir, 'lib');
  try {
    return readdirSync(lib).some((d) => d.startsWith('napi-v') && existsSync(path.join(lib, d, 'tfjs_binding.node'))) ? 'built' : 'no-binding';
  } catch {
    return 'no-binding';
  }
}

/** Try the native backend: the GPU package first, then the CPU one. */
async function tryNative(): Promise<Attempt & { gpuMissing?: string }> {
  const failures: string[] = [];
  for (const pkg of [NATIVE_GPU_PKG, NATIVE_CPU_PKG]) {
    // A package folder without its native library (the libtensorflow download failed, as on an offline
    // machine) would still register a second copy of every kernel and print hundreds of warnings before
    // failing: count it as not installed without importing it.
    const state = nativeState(pkg);
    if (state !== 'built') {
      failures.push(state === 'absent' ? `${pkg} is not installed.` : `${pkg} is installed without its native library (libtensorflow).`);
      continue;
    }
    try {
      await import(/* @vite-ignore */ pkg);
      if (!tf.findBackendFactory('tensorflow')) {
        throw new Error(`${pkg} loaded but did not register the 'tensorflow' backend`);
      }
      const ok = await tf.setBackend('tensorflow');
      if (!ok) throw new Error(`${pkg} is installed but the 'tensorflow' backend failed to initialise`);
      nativePackage = pkg;
      let device: string;
      if (pkg === NATIVE_GPU_PKG) {
        const name = await gpuName();
        device = name ? `GPU (${name}, CUDA via TensorFlow)` : 'GPU (CUDA via TensorFlow; falls back to CPU if no GPU is visible)';
      } else {
        device = `CPU (native TensorFlow, ${cpuModel()})`;
      }
      const gpuMissing = failures.length > 0 ? failures.join(' ') : undefined;
      return { ok: true, info: { backend: 'tensorflow', device, fallbackReason: null }, gpuMissing };
    } catch (e) {
      failures.push(isMissingModule(e) ? `${pkg} is not installed.` : `${pkg} failed to load: ${errText(e)}.`);
    }
  }
  return { ok: false, error: failures.join(' ') };
}

let wasmPathsSet = false;

function wasmDistDir(): string {
  const req = createRequire(import.meta.url);
  return path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm'));
}

async function tryWasm(): Promise<Attempt> {
  try {
    registerWasmTrainingKernels();
    if (!wasmPathsSet) {
      // In Node the .wasm binaries sit next to the package's entry file (dist/); a trailing separator makes it a prefix.
      tfwasm.setWasmPaths(wasmDistDir() + path.sep);
      wasmPathsSet = true;
    }
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('the WebAssembly backend failed to initialise');
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    let threads = 1;
    try {
      threads = tfwasm.getThreadsCount();
    } catch {
      threads = 1;
    }
    // One engine runs on one core; the run's training threads (nas/parallel) are reported apart from the device.
    const device = `CPU (WebAssembly${simd ? ', SIMD' : ''}${threads > 1 ? `, ${threads} threads per engine` : ''})`;
    return { ok: true, info: { backend: 'wasm', device, fallbackReason: null } };
  } catch (e) {
    return { ok: false, error: errText(e) };
  }
}

async function useCpu(): Promise<BackendInfo> {
  const ok = await tf.setBackend('cpu');
  if (!ok) throw new Error('The plain JavaScript cpu backend failed to initialise.');
  return { backend: 'cpu', device: 'CPU (plain JavaScript)', fallbackReason: null };
}

async function useWebgpu(): Promise<BackendInfo> {
  // Dawn and tfjs's WebGPU backend load here and only here: wasm-only runs never touch them.
  const { initWebgpu } = await import('./webgpu');
  const { device, adapter } = await initWebgpu();
  return { backend: 'webgpu', device, fallbackReason: null, adapter };
}

async function select(preference: BackendPreference): Promise<BackendInfo> {
  if (preference === 'cpu') return useCpu();
  if (preference === 'webgpu') return useWebgpu();

  if (preference === 'tensorflow') {
    const r = await tryNative();
    if (r.ok) return r.info;
    throw new Error(
      `Backend "tensorflow" was requested but cannot be used: ${r.error} These optional packages download ` +
        'libtensorflow from Google when they install, which needs internet access. ' +
        `${GPU_HINT} Or choose the backend auto or wasm (WebAssembly, works everywhere).`,
    );
  }

  if (preference === 'wasm') {
    const r = await tryWasm();
    if (r.ok) return r.info;
    throw new Error(
      `Backend "wasm" was requested but the WebAssembly backend could not start: ${r.error}. ` +
        'Check that @tensorflow/tfjs-backend-wasm is installed with its .wasm files, or choose --backend auto/cpu.',
    );
  }

  // auto
  const native = await tryNative();
  if (native.ok) {
    if (native.gpuMissing && nativePackage === NATIVE_CPU_PKG) {
      native.info.fallbackReason =
        `Running native TensorFlow on the CPU: ${native.gpuMissing} ` +
        'To train on a GPU, choose the webgpu backend (no CUDA needed; it needs the GPU\'s Vulkan driver).';
    }
    return native.info;
  }
  const wasm = await tryWasm();
  if (wasm.ok) {
    wasm.info.fallbackReason =
      `${NATIVE_MISSING} Running on WebAssembly instead (${wasm.info.device}): it works everywhere but is ` +
      `several times slower than native TensorFlow per core; NAS Studio spreads each batch over the idle cores (the Threads setting). ${GPU_HINT}`;
    return wasm.info;
  }
  const info = await useCpu();
  info.fallbackReason =
    `${NATIVE_MISSING} The WebAssembly backend could not start either (${wasm.error}), so training runs on the ` +
    `plain JavaScript cpu backend, which is far too slow for real searches. Reinstall NAS Studio's dependencies ` +
    `(npm ci) to restore the WebAssembly backend. ${GPU_HINT}`;
  return info;
}

/** What the backend probe measured `auto` to mean on this machine (its cached verdict), passed in with the job. */
export interface AutoVerdict {
  chosen: Exclude<BackendPreference, 'auto'>;
  /** One sentence, e.g. "webgpu: fastest of the backends that load: webgpu 41 ms/step, wasm 310 ms/step". */
  why: string;
}

/** `auto` with a probe verdict: its choice while that still loads, else the fixed order (the machine changed). */
async function selectByVerdict(verdict: AutoVerdict): Promise<BackendInfo> {
  if (verdict.chosen !== 'cpu') {
    try {
      const info = await select(verdict.chosen);
      const slower = verdict.chosen === 'wasm' ? ` Measured on this machine: ${verdict.why} ${GPU_HINT}` : '';
      return { ...info, fallbackReason: slower ? `auto runs on WebAssembly (${info.device}).${slower}` : null };
    } catch {
      // fall through to the fixed order, which says why in its own words
    }
  }
  return select('auto');
}

/**
 * Choose and initialise the tfjs backend. With `verdict`, `auto` means the probe's choice. Idempotent: repeated calls with the same preference return the same
 * result (and make that backend current again); a failed attempt is not cached, so it can be retried.
 */
export async function initBackend(preference: BackendPreference = 'auto', verdict: AutoVerdict | null = null): Promise<BackendInfo> {
  // tfjs-core alone (without the umbrella package) registers no gradient functions: training needs them.
  await ensureGradientsRegistered();
  const key = preference === 'auto' && verdict ? `auto:${verdict.chosen}` : preference;
  let p = cache.get(key);
  if (!p) {
    p = preference === 'auto' && verdict ? selectByVerdict(verdict) : select(preference);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
    return { ...(await p) };
  }
  const info = await p;
  if (tf.getBackend() !== info.backend) await tf.setBackend(info.backend);
  return { ...info };
}
