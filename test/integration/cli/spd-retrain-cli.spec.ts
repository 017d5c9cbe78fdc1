import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npyFile, seeded, spdMatrix } from '../datasets/spd-fixtures';

// `nas-studio retrain --space spd` as a user runs it (the built CLI, real files, real wasm math): the released
// RADAR cell of SPDNetNAS and the SPDNet baseline train on the same folder of SPD matrices and one JSON line
// (or one table) compares them; a genotype with an op from the wrong list is refused naming --arch.

const bin = resolve('bin/nas-studio.js');
const RADAR_CELL = JSON.stringify({
  normal: [['Skip_normal', 0], ['Skip_normal', 1], ['BiMap_0_normal', 0], ['BiMap_1_normal', 2]],
  reduce: [['BiMap_2_reduced', 1], ['BiMap_2_reduced', 0], ['BiMap_1_reduced', 1], ['BiMap_2_reduced', 0]],
});
const dir = mkdtempSync(join(tmpdir(), 'nas-spd-retrain-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NAS_STUDIO_DATA: join(dir, 'history') } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** 3 classes × 10 matrices of 8×8 whose overall scale differs by class (an easy, honest signal). */
function folder(): string {
  const root = join(dir, 'set');
  const rand = seeded(21);
  ['a', 'b', 'c'].forEach((c, k) => {
    for (let i = 0; i < 10; i++) npyFile(join(root, c, `m${i}.npy`), [8, 8], spdMatrix(8, rand, 0.5).map((v) => v * 4 ** k));
  });
  return root;
}

describe('nas-studio retrain --space spd', () => {
  it('retrains the derived cell and the SPDNet baseline on one folder and compares them in one JSON line', async () => {
    const data = folder();
    const r = await cli(['retrain', '--space', 'spd', '--arch', RADAR_CELL, '--dataset', data, '--baseline', 'spdnet', '--epochs', '3', '--batch', '8', '--lr', '0.1', '--seed', '1', '--backend', 'wasm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out).toMatchObject({ space: 'spd', accuracyUnit: 'fraction', epochs: 3 });
    expect(out.models.map((m: { label: string }) => m.label)).toEqual(['SPDNetNAS cell', 'SPDNet 8→6→3']);
    for (const m of out.models) {
      expect(m.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(m.testAccuracy).toBeLessThanOrEqual(1);
      expect(m.curve).toHaveLength(3);
      expect(m.params).toBeGreaterThan(0);
    }
    // One in five per class is held out: 6 test matrices, so accuracies are multiples of 1/6.
    expect(Math.round(out.testAccuracy * 6)).toBeCloseTo(out.testAccuracy * 6, 6);
    expect(r.stderr).toMatch(/24 training and 6 test matrices of 8×8, 3 classes/);
  });

  it('prints a table without --json', async () => {
    const r = await cli(['retrain', '--space', 'spd', '--arch', RADAR_CELL, '--dataset', folder(), '--baseline', 'spdnet', '--epochs', '1', '--batch', '8', '--backend', 'wasm']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/model\s+test accuracy\s+parameters\s+time\nSPDNetNAS cell\s+\d+\.\d\d%.*\nSPDNet 8→6→3\s+\d+\.\d\d%/);
  });

  it('searches a folder of class sub-folders (read, checked and packed first), and retrains the cell it found', async () => {
    const data = folder();
    const r = await cli(['search', '--space', 'spd', '--strategy', 'spdnas', '--dataset', data, '--epochs', '1', '--batch', '8', '--seed', '1', '--backend', 'wasm', '--no-history', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.trim().split('\n').at(-1)!;
    const out = JSON.parse(line);
    expect([...out.genotype.normal, ...out.genotype.reduce].every(([op]: [string]) => /_(normal|reduced)$/.test(op) && !op.startsWith('none'))).toBe(true);
    // The search's JSON line is an architecture retrain takes as it is (its space settings too).
    const searchJson = join(dir, 'search.json');
    writeFileSync(searchJson, line);
    const rt = await cli(['retrain', '--space', 'spd', '--arch', searchJson, '--dataset', data, '--epochs', '1', '--batch', '8', '--backend', 'wasm', '--json']);
    expect(rt.code, rt.stderr).toBe(0);
    expect(JSON.parse(rt.stdout.trim().split('\n').at(-1)!).genotype).toEqual(out.genotype);
  });

  it('refuses a reduced op in a normal cell and a dataset that is not SPD, naming the flag', async () => {
    const bad = JSON.stringify({ ...JSON.parse(RADAR_CELL), normal: [['BiMap_1_reduced', 0], ['Skip_normal', 1], ['BiMap_0_normal', 0], ['BiMap_1_normal', 2]] });
    const r = await cli(['retrain', '--space', 'spd', '--arch', bad, '--dataset', 'spd-synthetic', '--epochs', '1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--arch: normal entry 0 \(BiMap_1_reduced from input 0\) must be one of WeightedPooling_normal, BiMap_0_normal/);
    const r2 = await cli(['retrain', '--space', 'spd', '--arch', RADAR_CELL, '--dataset', join(dir, 'nowhere'), '--epochs', '1']);
    expect(r2.stderr).toMatch(/--dataset: '.*nowhere' is neither spd-synthetic nor a folder of SPD matrices/);
  });
});
