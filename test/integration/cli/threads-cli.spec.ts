import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// `nas-studio search --threads / --thread-bn` as a user types them (the built CLI; npm test builds first).
const bin = join(__dirname, '..', '..', '..', 'bin', 'nas-studio.js');
const history = mkdtempSync(join(tmpdir(), 'nas-cli-threads-'));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, NAS_STUDIO_DATA: history } });

describe('nas-studio search --threads', () => {
  it('refuses a thread count that is not auto or a whole number from 1 to 64, in one line naming the flag', () => {
    for (const bad of ['0', '-2', '1.5', 'two', '65', '']) {
      const r = run('search', '--dataset', 'demo', '--threads', bad);
      expect(r.status, bad).not.toBe(0);
      expect(r.stderr, bad).toMatch(/--threads must be 'auto' or a whole number of threads from 1 to 64/);
      expect(r.stderr).toContain(`got '${bad}'`);
      expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const bn = run('search', '--dataset', 'demo', '--thread-bn', 'fast');
    expect(bn.status).not.toBe(0);
    expect(bn.stderr).toMatch(/--thread-bn.*Allowed choices are sync, per-worker/);
    expect(run('search', '--help').stdout).toMatch(/--threads <n\|auto>[\s\S]*--thread-bn <mode>/);
  });

  it('trains a tiny search on 2 threads and reports them in the JSON and the config', () => {
    const r = run('search', '--dataset', 'demo', '--epochs', '1', '--train-limit', '200', '--channels', '4', '--cells', '1', '--batch', '32', '--backend', 'wasm', '--threads', '2', '--thread-bn', 'per-worker', '--json', '--no-history');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out.threads).toBe(2);
    expect(out.config.threads).toBe(2);
    expect(out.config.threadBn).toBe('per-worker');
    expect(r.stderr).toMatch(/backend: wasm .*threads: 2/);
    // 'auto' is accepted in any case and stored as 'auto' (the suite pins it to one thread).
    const auto = run('search', '--dataset', 'demo', '--epochs', '1', '--train-limit', '200', '--channels', '4', '--cells', '1', '--batch', '32', '--backend', 'wasm', '--threads', 'AUTO', '--json', '--no-history');
    expect(auto.status, auto.stderr).toBe(0);
    const a = JSON.parse(auto.stdout.trim().split('\n').at(-1)!);
    expect(a.config.threads).toBe('auto');
    expect(a.threads).toBe(1);
  });
});
