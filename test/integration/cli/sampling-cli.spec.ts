import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../../src/main/store/store';
import { NB201_OPS, parseNb201Arch } from '../../../src/shared/spaces/nb201';

// The built CLI as a user runs it (npm test builds first): MdeNAS on real Fashion-MNIST, and dry runs on the
// shipped NAS-Bench-201 table. The table itself is read here independently of the app's parser.
const root = join(__dirname, '..', '..', '..');
const bin = join(root, 'bin', 'nas-studio.js');
// Runs are recorded in a throw-away history, never the user's.
const history = mkdtempSync(join(tmpdir(), 'nas-cli-history-'));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, NAS_STUDIO_DATA: history } });
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const FASHION = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';

/** arch → CIFAR-10 test accuracy, straight from the CSV. */
function tableColumn(csv = join(root, 'resources', 'nb201.csv'), column = 'cifar10_test'): Map<string, number> {
  const [header, ...rows] = readFileSync(csv, 'utf8').trim().split('\n');
  const names = header.split(',');
  const arch = names.indexOf('arch');
  const col = names.indexOf(column);
  return new Map(rows.map((r) => r.split(',')).map((f) => [f[arch], Number(f[col])]));
}

const temp: string[] = [history];
afterAll(() => {
  for (const d of temp) rmSync(d, { recursive: true, force: true });
});

describe('nas-studio search --strategy mdenas', () => {
  it.skipIf(!existsSync(FASHION))('ends with a table arch and per-edge probabilities that sum to 1 (the issue’s command)', () => {
    const r = run('search', '--space', 'nb201', '--strategy', 'mdenas', '--dataset', 'fashion-mnist', '--epochs', '3', '--train-limit', '600', '--channels', '8', '--cells', '1', '--seed', '1', '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    expect(out.strategy).toBe('mdenas');
    expect(tableColumn().get(out.arch)).toBe(out.nb201.cifar10);
    const rows: number[][] = out.probabilities.cells.cell;
    expect(rows).toHaveLength(6);
    for (const row of rows) {
      expect(row).toHaveLength(NB201_OPS.length);
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
    }
    expect(out.benchmarkCurve).toHaveLength(3);
    expect(out.trajectory.map((t: { evaluations: number }) => t.evaluations)).toEqual([1, 2, 3]);
    // Recorded in the history the app reads: the same arch, its three probability snapshots, completed.
    const store = Store.open(join(out.history.dataDir, 'nas-studio.db'));
    try {
      const detail = store.runs.get(out.history.runId)!;
      expect(detail).toMatchObject({ kind: 'search', status: 'completed', arch: out.arch, datasetName: 'Fashion-MNIST', progress: 1 });
      expect(store.snapshots.list(detail.id, 'probabilities')).toHaveLength(3);
      expect(store.logs.list(detail.id)[0].message).toMatch(/^Run from the command line: nas-studio search --space nb201 --strategy mdenas/);
    } finally {
      store.close();
    }
  }, 240_000);
});

describe('nas-studio dry-run', () => {
  it('runs each strategy on the table and reports the arch, its accuracies and the trajectory', () => {
    const cifar10 = tableColumn();
    for (const strategy of ['random', 'evolution', 'mdenas']) {
      const r = run('dry-run', '--strategy', strategy, '--samples', '60', '--seed', '4', '--json');
      expect(r.status, r.stderr).toBe(0);
      const out = lastJson(r.stdout);
      expect(parseNb201Arch(out.arch)).toHaveLength(6);
      expect(out.nb201.cifar10).toBe(cifar10.get(out.arch));
      expect(out.queries).toBeLessThanOrEqual(60);
      expect(out.trajectory).toHaveLength(out.queries);
      // The best found never gets worse, and every value is a table accuracy.
      for (let i = 1; i < out.trajectory.length; i++) expect(out.trajectory[i].best).toBeGreaterThanOrEqual(out.trajectory[i - 1].best);
      expect([...cifar10.values()]).toContain(out.trajectory.at(-1).bestCifar10);
      // The shipped table has test columns only: the result says its signal was test accuracy.
      expect(out.summary.signal).toBe('cifar10_test');
      expect(out.summary.notes.join(' ')).toMatch(/test accurac/i);
      expect(out.wallSeconds).toBeGreaterThan(0);
      if (strategy !== 'mdenas') expect(out.nb201.cifar10).toBe(Math.max(...out.trajectory.map((t: { bestCifar10: number }) => t.bestCifar10)));
    }
  }, 120_000);

  it('records a dry run in the history (--data-dir), or nowhere with --no-history', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nas-dry-history-'));
    temp.push(dir);
    const out = lastJson(run('dry-run', '--strategy', 'random', '--samples', '30', '--seed', '3', '--data-dir', dir, '--json').stdout);
    expect(out.history).toEqual({ dataDir: dir, runId: 1 });
    const store = Store.open(join(dir, 'nas-studio.db'));
    try {
      const detail = store.runs.get(1)!;
      expect(detail).toMatchObject({ kind: 'dry-run', status: 'completed', arch: out.arch, datasetName: 'NAS-Bench-201 table' });
      expect(detail.summary?.evaluations).toBe(30);
      expect(store.metrics.series(1).best_score.map((p) => p[0])).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    } finally {
      store.close();
    }
    const none = mkdtempSync(join(tmpdir(), 'nas-dry-none-'));
    temp.push(none);
    const quiet = lastJson(run('dry-run', '--strategy', 'random', '--samples', '5', '--data-dir', none, '--no-history', '--json').stdout);
    expect(quiet.history).toBeNull();
    expect(existsSync(join(none, 'nas-studio.db'))).toBe(false);
  }, 60_000);

  it('is the same for the same seed, and decides on validation accuracy when the table has it', () => {
    const a = lastJson(run('dry-run', '--strategy', 'evolution', '--samples', '50', '--population', '10', '--sample-size', '3', '--seed', '7', '--json').stdout);
    const b = lastJson(run('dry-run', '--strategy', 'evolution', '--samples', '50', '--population', '10', '--sample-size', '3', '--seed', '7', '--json').stdout);
    expect(b.trajectory).toEqual(a.trajectory);
    expect(b.arch).toBe(a.arch);
    // A table whose validation column ranks cells in reverse of the test column: the search must follow it.
    const dir = mkdtempSync(join(tmpdir(), 'nas-dry-table-'));
    temp.push(dir);
    const [header, ...rows] = readFileSync(join(root, 'resources', 'nb201.csv'), 'utf8').trim().split('\n');
    const testCol = header.split(',').indexOf('cifar10_test');
    const csv = join(dir, 'nb201-valid.csv');
    writeFileSync(csv, [`${header},cifar10_valid,cifar100_valid,imagenet16_valid`, ...rows.map((r) => `${r},${(100 - Number(r.split(',')[testCol])).toFixed(4)},50,25`)].join('\n'));
    const r = run('dry-run', '--strategy', 'random', '--samples', '40', '--seed', '2', '--table', csv, '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    expect(out.summary.signal).toBe('cifar10_valid');
    expect(out.summary.notes).toEqual([]);
    // Best by validation = worst by test among the 40 queried: the returned cell's test accuracy is the lowest seen.
    const tests = out.trajectory.map((t: { bestCifar10: number }) => t.bestCifar10);
    expect(out.nb201.cifar10).toBe(Math.min(...tests));
  }, 120_000);

  it('refuses bad flags with one line naming the flag', () => {
    for (const [args, message] of [
      [['--strategy', 'darts'], /--strategy/],
      [['--strategy', 'evolution', '--population', '200'], /--population: must not exceed the samples \(100\)/],
      [['--strategy', 'random', '--sample-size', '3'], /--sample-size does not apply to random/],
      [['--strategy', 'mdenas', '--samples', '0'], /--samples must be an integer ≥ 1/],
      [['--strategy', 'mdenas', '--distribution-lr', '2'], /--distribution-lr/],
      [['--table', '/nonexistent/table.csv'], /table\.csv/],
    ] as const) {
      const r = run('dry-run', ...args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 60_000);
});
