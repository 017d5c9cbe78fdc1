/**
 * Issue 12's command, as a user runs it (the built CLI, real demo images): on webgpu it finishes with
 * `backend: webgpu` and the adapter named in the result JSON, and the same seed on wasm gives the same arch
 * string and the same losses to float32 tolerance (read from the runs' history, a real SQLite file).
 * On this machine webgpu runs on Chromium's SwiftShader Vulkan driver: slow (minutes), but real. Skipped only
 * when that driver file is absent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SWIFTSHADER_ICD } from '../../../src/main/nas/engine/webgpu';

const bin = join(__dirname, '..', '..', '..', 'bin', 'nas-studio.js');
const icd = process.env.VK_ICD_FILENAMES || SWIFTSHADER_ICD;
const available = existsSync(icd);
const history = mkdtempSync(join(tmpdir(), 'nas-webgpu-cli-'));
afterAll(() => rmSync(history, { recursive: true, force: true }));

const ARGS = ['search', '--space', 'nb201', '--strategy', 'darts', '--dataset', 'demo', '--epochs', '1', '--train-limit', '200', '--channels', '4', '--cells', '1', '--batch', '16'];

function search(backend: string) {
  const r = spawnSync(process.execPath, [bin, ...ARGS, '--backend', backend, '--json'], {
    encoding: 'utf8',
    timeout: 25 * 60_000,
    env: { ...process.env, NAS_STUDIO_DATA: history, VK_ICD_FILENAMES: icd, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || tmpdir() },
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

/** A run's loss series from the history database, by metric name. */
function losses(runId: number): Map<string, number[]> {
  const db = new Database(join(history, 'nas-studio.db'), { readonly: true });
  try {
    const rows = db.prepare("SELECT name, value FROM metrics WHERE run_id = ? AND name IN ('train_loss', 'epoch_train_loss', 'val_loss') ORDER BY name, step").all(runId) as { name: string; value: number }[];
    const out = new Map<string, number[]>();
    for (const r of rows) out.set(r.name, [...(out.get(r.name) ?? []), r.value]);
    return out;
  } finally {
    db.close();
  }
}

describe.skipIf(!available)(`nas-studio search --backend webgpu${available ? '' : ` (skipped: ${icd} is absent)`}`, () => {
  it("issue 12's command: webgpu names its adapter, and wasm with the same seed finds the same arch with the same losses", () => {
    const gpu = search('webgpu');
    expect(gpu.backend).toBe('webgpu');
    expect(gpu.adapter).toBeTruthy();
    expect(gpu.adapter.description || gpu.adapter.vendor).not.toBe('');
    expect(gpu.device).toContain(gpu.adapter.description || gpu.adapter.vendor);
    if (icd === SWIFTSHADER_ICD) {
      expect(gpu.adapter).toMatchObject({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true });
      expect(gpu.device).toMatch(/software/);
    }
    const cpu = search('wasm');
    expect(cpu.backend).toBe('wasm');
    expect(cpu.adapter).toBeNull();
    expect(cpu.seed).toBe(gpu.seed);
    expect(gpu.arch).toBe(cpu.arch);

    const a = losses(gpu.history.runId);
    const b = losses(cpu.history.runId);
    expect([...a.keys()].sort()).toEqual(['epoch_train_loss', 'train_loss', 'val_loss']);
    for (const [name, want] of b) {
      const got = a.get(name)!;
      expect(got, name).toHaveLength(want.length);
      // The first step's loss is computed before any update: float32 agreement. Each step after it compounds
      // the rounding differences of summing in another order, and Adam's early α steps are nearly sign(g), so
      // a near-zero α gradient that rounds to the other sign moves α the other way: measured 3e-7 relative at
      // step 2, growing to 1e-3 by step 7. A wrong gradient would show at step 2 already (the parity suite
      // checks gradients to 5e-5).
      got.forEach((v, i) => {
        const tol = name === 'train_loss' && i === 0 ? 1e-6 : name === 'train_loss' && i === 1 ? 1e-5 : 5e-3;
        expect(Math.abs(v - want[i]!), `${name}[${i}]: webgpu ${v}, wasm ${want[i]}`).toBeLessThanOrEqual(tol * Math.abs(want[i]!));
      });
    }
  }, 30 * 60_000);
});
