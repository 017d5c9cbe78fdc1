import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NB201_OPS, parseNb201Arch } from '../../../src/shared/spaces/nb201';

// The built CLI as a user runs it (npm test builds first): real process, real demo images, real wasm math.
const bin = join(__dirname, '..', '..', '..', 'bin', 'nas-studio.js');
// Runs are recorded in a throw-away history, never the user's.
const history = mkdtempSync(join(tmpdir(), 'nas-cli-history-'));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, NAS_STUDIO_DATA: history } });

describe('nas-studio search', () => {
  it('searches NAS-Bench-201 with DARTS on the demo set and ends with one JSON line', () => {
    const tempRunDirs = () => readdirSync(tmpdir()).filter((f) => f.startsWith('nas-studio-cli-')).length;
    const before = tempRunDirs();
    const r = run('search', '--space', 'nb201', '--strategy', 'darts', '--dataset', 'demo', '--epochs', '2', '--train-limit', '200', '--channels', '4', '--cells', '1', '--batch', '32', '--backend', 'wasm', '--json');
    expect(r.status, r.stderr).toBe(0);
    // Without --run-dir the checkpoints lived in a temporary folder, removed at the end.
    expect(tempRunDirs()).toBe(before);
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
    // One unit for every accuracy: percent, as in the table.
    expect(out.accuracyUnit).toBe('percent');
    expect(out.trainAccuracy).toBeGreaterThan(1);
    expect(out.trainAccuracy).toBeLessThanOrEqual(100);
    expect(out.checkpoints).toBeNull();
    expect(out.wallSeconds).toBeGreaterThan(0);
    // Progress went to stderr: one summary line per finished epoch, no blank line first.
    expect(r.stderr.match(/^epoch \d\/2: train acc/gm)).toHaveLength(2);
    expect(r.stderr.startsWith('\n')).toBe(false);
  });

  it('runs SGAS-es and reports its decisions, eigenvalues and early stops in the JSON', () => {
    const r = run('search', '--space', 'nb201', '--strategy', 'sgas-es', '--dataset', 'demo', '--train-limit', '200', '--channels', '4', '--cells', '1', '--batch', '16', '--decision-freq', '1', '--final-epochs', '0', '--hessian-iters', '2', '--criterion', '2', '--seed', '1', '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out.strategy).toBe('sgas-es');
    expect(out.decisions).toHaveLength(6);
    expect(new Set(out.decisions.map((d: { edge: number }) => d.edge)).size).toBe(6);
    for (const d of out.decisions) expect(Object.keys(d)).toEqual(expect.arrayContaining(['epoch', 'cellType', 'edge', 'op', 'scores']));
    expect(out.eigenvalues.map((e: { epoch: number }) => e.epoch)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.isArray(out.earlyStops)).toBe(true);
    expect(parseNb201Arch(out.arch)).toEqual(out.genotype);
    expect(out.nb201.arch).toBe(out.arch);
    // Flags of another strategy are refused by name.
    const wrong = run('search', '--dataset', 'demo', '--strategy', 'darts', '--warmup', '3');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/--warmup does not apply to darts; strategies that take it: sgas/);
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
    expect(last.error).toMatch(/--ops: unknown op nor_conv_3x3; the darts space has none, max_pool_3x3/);
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
