import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import type { BackendName, BackendReport } from '../../../shared/backends';
import { initBackend, type BackendPreference } from './backend';
import { WASM_HEAP_BYTES } from './errors';
import { adapterName, describeWebgpu } from './webgpu';

// The doctor's view of one backend, found by loading it in THIS process (a probe child of the trainer
// program: tfjs backends are process-wide, so each backend is tried in a process of its own). Says whether it
// loads, on what device, why not in plain words with the fix, and whether `auto` may pick it. Timing is the
// caller's (estimation/step-probe.ts), since it needs a supernet.

export type LoadedReport = Omit<BackendReport, 'probeStepMs'>;

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

// GPU users first: webgpu needs no CUDA and no download; tfjs-node-gpu only works with CUDA 11.2 + cuDNN 8.1.
const NATIVE_FIX =
  'For a GPU (NVIDIA, AMD or Intel), use the webgpu backend instead: no CUDA needed (see its entry). ' +
  'For faster CPU training, run "npm install @tensorflow/tfjs-node" in the NAS Studio folder on a machine with internet access, then restart NAS Studio. ' +
  '("npm install @tensorflow/tfjs-node-gpu" works only with CUDA 11.2 and cuDNN 8.1.)';

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
}

/** What is installed of the native TensorFlow packages, in words (absent / no compiled library / present). */
function nativeInstallState(): { present: string[]; problems: string[] } {
  const present: string[] = [];
  const absent: string[] = [];
  const unbuilt: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    let dir: string;
    try {
      dir = path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
    } catch {
      absent.push(pkg);
      continue;
    }
    const lib = path.join(dir, 'lib');
    const built = existsSync(lib) && readdirSync(lib).some((d) => existsSync(path.join(lib, d, 'tfjs_binding.node')));
    (built ? present : unbuilt).push(pkg);
  }
  // One clause per state, not per package: both packages usually share it.
  const both = (list: string[], one: string, many: string) => `${list.join(' and ')} ${list.length === 1 ? one : many}`;
  const problems: string[] = [];
  if (absent.length > 0) problems.push(both(absent, 'is not installed', 'are not installed'));
  if (unbuilt.length > 0) {
    problems.push(
      `${both(unbuilt, 'is installed without its native library', 'are installed without their native library')} ` +
        '(libtensorflow, which is downloaded at install time and needs internet access)',
    );
  }
  return { present, problems };
}

/** Why native TensorFlow did not load, in plain words: not installed, no library, or a CUDA version mismatch. */
export function nativeReason(error: string): string {
  // The install state first: the engine's own "not installed" message mentions CUDA in its advice.
  const { present, problems } = nativeInstallState();
  if (present.length === 0) return `Native TensorFlow is not installed: ${problems.join('; ')}.`;
  if (/libcud|cuda|cudnn/i.test(error)) {
    return `@tensorflow/tfjs-node-gpu did not load: it needs exactly CUDA 11.2 and cuDNN 8.1, and this machine's CUDA libraries do not match (${error}).`;
  }
  return `Native TensorFlow (${present.join(', ')}) failed to load: ${error}`;
}

async function tryLoad(name: BackendName): Promise<{ ok: true; device: string; note: string | null } | { ok: false; error: string }> {
  try {
    // A backend that silently resolved to another one (an older engine without it) does not count as loading.
    const info = await initBackend(name as BackendPreference);
    if (info.backend !== name) return { ok: false, error: `this build of NAS Studio has no ${name} backend` };
    return { ok: true, device: info.device, note: info.fallbackReason };
  } catch (e) {
    return { ok: false, error: firstLine(e) };
  }
}

/** Loads `name` in this process and says what came of it. */
export async function loadForProbe(name: BackendName): Promise<LoadedReport> {
  const base = { name, adapter: null, reason: null, fix: null } as const;
  switch (name) {
    case 'tensorflow': {
      const r = await tryLoad(name);
      if (!r.ok) return { ...base, loads: false, device: null, reason: nativeReason(r.error), fix: NATIVE_FIX, eligibleForAuto: false, memoryLimitBytes: null };
      return { ...base, loads: true, device: r.device, eligibleForAuto: true, memoryLimitBytes: os.totalmem() };
    }
    case 'webgpu': {
      // The adapter first (webgpu.ts, without initialising tfjs): no adapter says why in the driver's terms.
      const d = await describeWebgpu();
      const notLoading = { ...base, loads: false, device: null, adapter: d.adapter, eligibleForAuto: false, memoryLimitBytes: null };
      if (!d.adapter) return { ...notLoading, reason: d.reason, fix: d.fix };
      const r = await tryLoad(name);
      if (!r.ok) return { ...notLoading, reason: `The WebGPU backend did not start on ${adapterName(d.adapter)}: ${r.error}.`, fix: d.fix };
      const software = d.adapter.isFallbackAdapter;
      return {
        ...base,
        loads: true,
        device: r.device,
        adapter: d.adapter,
        reason: software ? `${d.reason ?? `Only a software adapter (${adapterName(d.adapter)}).`} auto never picks it.` : d.reason,
        fix: d.fix,
        eligibleForAuto: !software,
        // WebGPU does not tell how much memory the GPU has; the largest buffer bounds a single tensor only.
        memoryLimitBytes: null,
      };
    }
    case 'wasm': {
      const r = await tryLoad(name);
      if (!r.ok) {
        return { ...base, loads: false, device: null, reason: `The WebAssembly backend did not start: ${r.error}.`, fix: 'Reinstall NAS Studio\'s dependencies ("npm ci") so that @tensorflow/tfjs-backend-wasm and its .wasm files are present.', eligibleForAuto: false, memoryLimitBytes: null };
      }
      return {
        ...base,
        loads: true,
        device: r.device,
        reason: 'Runs on one CPU thread, and a training run can use at most 4 GB (the WebAssembly heap limit): large supernets need a smaller batch or memory saving.',
        fix: null,
        eligibleForAuto: true,
        memoryLimitBytes: WASM_HEAP_BYTES,
      };
    }
    case 'cpu': {
      const r = await tryLoad(name);
      return {
        ...base,
        loads: r.ok,
        device: r.ok ? r.device : null,
        reason: r.ok ? 'Plain JavaScript: minutes per training step, far too slow for a search. Used only when nothing else starts.' : `The plain JavaScript backend did not start: ${r.error}.`,
        fix: null,
        eligibleForAuto: false,
        memoryLimitBytes: v8.getHeapStatistics().heap_size_limit,
      };
    }
  }
}
