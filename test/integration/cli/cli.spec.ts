import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NB201_OPS, parseNb201Arch } from '../../../src/shared/spaces/nb201';

// The built CLI as a user runs it (npm test builds first): real process, real demo images, real wasm math.
const bin = join(__dirname, '..', '..', '..', 'bin', 'nas-studio.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 240_000 });

describe('nas-studio search', () => {
  it('searches NAS-Bench-201 with DARTS on the demo set and ends with one JSON line', () => {
    const r = run('search', '--space', 'nb201', '--strategy', 'darts', '--dataset', 'demo', '--epochs', '2', '--train-limit', '200', '--channels', '4', '--cells', '1', '--batch', '32', '--backend', 'wasm', '--json');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const out = JSON.parse(lines[lines.length - 1]);
    expect(out.backend).toBe('wasm');
    expect(out.seed).toBe(0);
    const ops = parseNb201Arch(out.arch);
    expect(ops).toHaveLength(6);
    for (const op of ops) expect(NB201_OPS).toContain(op);
    expect(out.nb201.arch).toBe(out.arch);
    expect(out.nb201.rank).toBeGreaterThanOrEqual(1);
    expect(out.nb201.rank).toBeLessThanOrEqual(15625);
    expect(out.trainAccuracy).toBeGreaterThan(0);
    expect(out.wallSeconds).toBeGreaterThan(0);
    // Progress went to stderr, one line per finished epoch.
    expect(r.stderr).toMatch(/epoch 2: train loss \d/);
  });

  it('rejects bad arguments with one line and a non-zero exit, never a stack trace', () => {
    for (const args of [
      ['search', '--dataset', 'demo', '--epochs', 'zero'],
      ['search', '--dataset', 'demo', '--space', 'resnet'],
      ['search', '--dataset', 'demo', '--batch', '-4'],
      ['search', '--dataset', 'demo', '--ops', 'nor_conv_3x3,bogus'],
      ['search', '--dataset', 'demo', '--w-lr', 'fast'],
      ['search'],
      ['frobnicate'],
    ]) {
      const r = run(...args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('with --json, a failure is also the last stdout line, as JSON', () => {
    const r = run('search', '--dataset', 'demo', '--space', 'darts', '--ops', 'nor_conv_3x3', '--json');
    expect(r.status).toBe(1);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last.error).toMatch(/ops: unknown op nor_conv_3x3; the darts space has none, max_pool_3x3/);
  });

  it('names the file and the problem when a dataset file is corrupt', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nas-cli-bad-'));
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), Buffer.from([0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3]));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), Buffer.from([0, 0, 8, 1, 0, 0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]));
    const r = run('search', '--dataset', dir, '--epochs', '1');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nas-studio: .*train-images-idx3-ubyte.*truncated/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const missing = run('search', '--dataset', join(dir, 'nope'), '--epochs', '1');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/not found/);
  });
});
