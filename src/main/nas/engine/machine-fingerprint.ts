import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

// What decides which backend is fastest on this machine, hashed: a cached `auto` verdict is reused only while
// all of it is unchanged. Read without loading any backend (the server process never loads one): the GPU side is
// the Vulkan driver set-up the WebGPU binding would see (VK_ICD_FILENAMES, the installed ICD files) and
// whether an NVIDIA driver is present, not the adapters themselves, which only a trainer process can open.

/** Packages whose presence or version changes what loads, or how fast. */
export const BACKEND_PACKAGES = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
] as const;

const VULKAN_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

export interface MachineFacts {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  app: string;
  /** Package name → installed version, or null when absent. */
  packages: Record<string, string | null>;
  /** The GPU driver set-up visible without opening a device. */
  gpu: { vkIcdFiles: string | null; icds: string[]; nvidiaDriver: string | null };
}

/** The installed version; a native TensorFlow package without its compiled library is marked so (it cannot load). */
function packageVersion(name: string): string | null {
  try {
    const file = createRequire(import.meta.url).resolve(`${name}/package.json`);
    const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
    if (!name.startsWith('@tensorflow/tfjs-node')) return version;
    const lib = path.join(path.dirname(file), 'lib');
    const built = existsSync(lib) && readdirSync(lib).some((d) => existsSync(path.join(lib, d, 'tfjs_binding.node')));
    return built ? version : `${version} (no native library)`;
  } catch {
    return null;
  }
}

function listIcds(): string[] {
  const out: string[] = [];
  for (const dir of VULKAN_ICD_DIRS) {
    try {
      for (const f of readdirSync(dir)) if (f.endsWith('.json')) out.push(path.join(dir, f));
    } catch {
      // no such folder: no driver there
    }
  }
  return out.sort();
}

function nvidiaDriver(): string | null {
  const file = '/proc/driver/nvidia/version';
  if (!existsSync(file)) return null;
  try {
    return readFileSync(file, 'utf8').split('\n')[0]!.trim();
  } catch {
    return null;
  }
}

export function machineFacts(appVersion: string): MachineFacts {
  const cpus = os.cpus();
  const packages = Object.fromEntries(BACKEND_PACKAGES.map((p) => [p, packageVersion(p)]));
  return {
    cpu: cpus[0]?.model?.trim() || 'unknown CPU',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    app: appVersion,
    packages,
    gpu: {
      vkIcdFiles: process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES || null,
      icds: listIcds(),
      nvidiaDriver: nvidiaDriver(),
    },
  };
}

/** A short, stable hash of the facts (key order fixed by machineFacts). */
export function machineFingerprint(appVersion: string, facts: MachineFacts = machineFacts(appVersion)): string {
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex').slice(0, 16);
}
