import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BackendVerdictSchema, type BackendVerdict } from '../../../src/shared/backends';
import { makeTempDir } from '../../support/nas-server';

// `nas-studio doctor --json` as a user runs it (the built CLI; every backend probed in a trainer process of its
// own) on this machine: no native TensorFlow, no GPU, wasm is what auto picks. With Chromium's SwiftShader as
// the Vulkan driver, webgpu loads but on a software adapter, which auto never picks.

const bin = join(__dirname, '..', '..', '..', 'bin', 'nas-studio.js');
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function doctor(dataDir: string, env: Record<string, string> = {}, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'doctor', '--json', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', VK_ICD_FILENAMES: '', ...env, NAS_STUDIO_DATA: dataDir },
  });
  expect(r.status, r.stderr).toBe(0);
  const last = r.stdout.trim().split('\n').pop()!;
  const json = JSON.parse(last) as BackendVerdict & { cached: boolean; dataDir: string };
  expect(BackendVerdictSchema.safeParse(json).success).toBe(true);
  return json;
}

const report = (v: BackendVerdict, name: string) => v.backends.find((b) => b.name === name)!;

describe('nas-studio doctor', () => {
  const tmp = makeTempDir('nas-it-doctor-');
  afterAll(() => tmp.dispose());

  test('names wasm as what auto picks and says why native TensorFlow and a GPU adapter are absent; the verdict is kept for this machine', () => {
    const dir = join(tmp.dir, 'plain');
    const v = doctor(dir);
    expect(v.cached).toBe(false);
    expect(v.chosen).toBe('wasm');
    expect(v.why).toMatch(/^wasm/);
    expect(v.backends.map((b) => b.name)).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);

    const tf = report(v, 'tensorflow');
    expect(tf.loads).toBe(false);
    expect(tf.reason).toMatch(/Native TensorFlow is not installed/);
    expect(tf.reason).toMatch(/tfjs-node/);
    expect(tf.fix).toMatch(/npm install @tensorflow\/tfjs-node/);
    // A GPU user is sent to webgpu first, not to CUDA 11; each package's state is said once.
    expect(tf.fix).toMatch(/^For a GPU .*use the webgpu backend/);
    expect((tf.reason!.match(/libtensorflow/g) ?? []).length).toBeLessThanOrEqual(1);

    const gpu = report(v, 'webgpu');
    expect(gpu.loads).toBe(false);
    expect(gpu.adapter).toBeNull();
    expect(gpu.reason).toMatch(/no GPU adapter|no working Vulkan driver/i);
    expect(gpu.fix).toMatch(/Vulkan driver/);

    const wasm = report(v, 'wasm');
    expect(wasm).toMatchObject({ loads: true, eligibleForAuto: true, memoryLimitBytes: 4 * 2 ** 30 });
    expect(wasm.device).toMatch(/WebAssembly/);
    expect(wasm.probeStepMs).toBeGreaterThan(0);

    // cpu loads but is never timed or picked.
    expect(report(v, 'cpu')).toMatchObject({ loads: true, eligibleForAuto: false, probeStepMs: null });

    // Kept in the data folder with the machine's fingerprint; the next call answers from it.
    const file = join(dir, 'backend-verdict.json');
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).fingerprint).toBe(v.fingerprint);
    const again = doctor(dir);
    expect(again.cached).toBe(true);
    expect(again.measuredAt).toBe(v.measuredAt);
  });

  test.skipIf(!existsSync(SWIFTSHADER_ICD))('with SwiftShader as the Vulkan driver, webgpu loads on a software adapter that auto never picks', () => {
    const dir = join(tmp.dir, 'swiftshader');
    const v = doctor(dir, { VK_ICD_FILENAMES: SWIFTSHADER_ICD });
    const gpu = report(v, 'webgpu');
    expect(gpu.loads).toBe(true);
    expect(gpu.adapter).not.toBeNull();
    expect(gpu.adapter!.isFallbackAdapter).toBe(true);
    expect(gpu.eligibleForAuto).toBe(false);
    expect(gpu.probeStepMs).toBeNull();
    expect(gpu.reason).toMatch(/software/i);
    // The fix is a real driver; the software device it already runs on is not offered again.
    expect(gpu.fix).toMatch(/Vulkan driver/);
    expect(gpu.fix).not.toMatch(/VK_ICD_FILENAMES/);
    expect(v.chosen).toBe('wasm');
    expect(v.why).toMatch(/webgpu \(software adapter\)/);
    // A different driver set-up is a different machine: the plain verdict is not reused for it.
    expect(v.fingerprint).not.toBe(doctor(join(tmp.dir, 'plain-2')).fingerprint);
  });
});
