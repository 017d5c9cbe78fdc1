import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Nb201Table } from '../../../src/main/nas/estimation/nb201-table';
import { makeTempDir, startServer, waitFor, type ServerProcess } from '../../support/nas-server';

// A dry run through the real headless server and trainer: no dataset anywhere, the architectures looked up in
// the NAS-Bench-201 table, recorded like any run (kind 'dry-run') with its trajectory, result and summary.

const DRY_RUN = {
  estimation: 'nb201-table',
  space: { name: 'nb201' },
  strategy: { name: 'evolution', samples: 50, population: 10, sampleSize: 3 },
  seed: 1,
};

type Series = Record<string, [number, number, number][]>;

describe('dry run on the NAS-Bench-201 table', () => {
  const tmp = makeTempDir('nas-runs-dry-');
  let s: ServerProcess;
  beforeAll(async () => {
    s = await startServer(join(tmp.dir, 'data'));
  });
  afterAll(async () => {
    await s?.stop();
    tmp.dispose();
  });

  const waitDone = (id: number) =>
    waitFor(
      async () => {
        const r = await s.call<any>('runs.get', { id });
        if (r.status === 'failed') throw new Error(`dry run ${id} failed: ${r.error}`);
        return r.status === 'completed' ? r : null;
      },
      `dry run ${id} to complete`,
      { timeoutMs: 60_000 },
    );

  test('completes in seconds without a dataset: kind dry-run, table score, summary and trajectory', async () => {
    const started = Date.now();
    const { id } = await s.call<{ id: number }>('runs.create', { config: DRY_RUN });
    const queued = await s.call<any>('runs.get', { id });
    expect(queued).toMatchObject({ kind: 'dry-run', datasetName: 'NAS-Bench-201 table', strategy: 'evolution', space: 'nb201', seed: 1 });
    const done = await waitDone(id);
    // Seconds, trainer start-up included, on a shared 2-core machine: well below any training run.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await s.call('datasets.list', {})).toEqual([]);

    // The result: an arch of the table, scored by the table itself (looked up here independently).
    const table = Nb201Table.loadDefault();
    expect(done.progress).toBe(1);
    expect(table.has(done.arch)).toBe(true);
    const entry = table.lookup(done.arch);
    expect(done.nb201).toMatchObject({ arch: done.arch, cifar10: entry.cifar10, cifar100: entry.cifar100, imagenet16: entry.imagenet16, rank: entry.rank });
    expect(done.summary.evaluations).toBe(50);
    expect(done.summary.distinctArchitectures).toBeGreaterThan(0);
    expect(done.summary.distinctArchitectures).toBeLessThanOrEqual(50);
    expect(done.summary.signal).toMatch(/cifar10/);
    // The shipped table has test accuracies only, and the result says so.
    expect(done.summary.notes.join(' ')).toMatch(/test/i);

    // The trajectory: one point per architecture evaluated (step 1..50); the best found never gets worse, and
    // every best-so-far accuracy is a cell of the table, the last one the result's.
    const series = await s.call<Series>('runs.metrics', { id });
    const best = series.best_score!;
    const bestCifar10 = series.best_cifar10!;
    expect(best.map((p) => p[0])).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(bestCifar10.map((p) => p[0])).toEqual(best.map((p) => p[0]));
    for (let i = 1; i < best.length; i++) expect(best[i]![2]).toBeGreaterThanOrEqual(best[i - 1]![2]);
    const tableAccuracies = new Set(table.entries().map((e) => e.cifar10));
    for (const [, , value] of bestCifar10) expect(tableAccuracies.has(value)).toBe(true);
    expect(bestCifar10.at(-1)![2]).toBe(done.nb201.cifar10);

    const logs = await s.call<{ message: string }[]>('runs.logs', { id });
    expect(logs.at(-1)!.message).toMatch(/^Dry run finished in \d+\.\d s\.$/);
    const [listed] = await s.call<any[]>('runs.list', { search: 'NAS-Bench-201 table' });
    expect(listed).toMatchObject({ id, kind: 'dry-run', status: 'completed' });
  });

  test('a dry-run config is validated like any other: the error names the field, nothing is created', async () => {
    const before = await s.call<unknown[]>('runs.list', {});
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...DRY_RUN, space: { name: 'darts' } }, /config\.space\.name: a dry run looks architectures up in the NAS-Bench-201 table/],
      [{ ...DRY_RUN, strategy: { name: 'darts' } }, /config\.strategy\.name: .*has no dry run/],
      [{ ...DRY_RUN, strategy: { name: 'evolution', population: 0 } }, /config\.strategy\.population/],
      [{ ...DRY_RUN, estimation: 'lookup' }, /config\.estimation/],
    ];
    for (const [config, field] of cases) {
      const r = await s.raw('runs.create', { config });
      expect(r.status, JSON.stringify(config)).toBe(400);
      expect(r.body.error).toMatch(field);
    }
    expect(await s.call('runs.list', {})).toEqual(before);
  });

  test('a dry run that fails (its table damaged on disk) shows why, like any run, and resumes once fixed', async () => {
    // The imported table's copy in the data folder, damaged after the import (a disk fault, a hand edit).
    const imported = join(tmp.dir, 'data', 'benchmarks', 'nb201.csv');
    mkdirSync(dirname(imported), { recursive: true });
    writeFileSync(imported, 'index,arch\n0,|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|\n');
    try {
      const { id } = await s.call<{ id: number }>('runs.create', { config: { ...DRY_RUN, name: 'damaged table' } });
      const failed = await waitFor(async () => {
        const r = await s.call<any>('runs.get', { id });
        return r.status === 'failed' || r.status === 'completed' ? r : null;
      }, `dry run ${id} to end`);
      expect(failed.status).toBe('failed');
      expect(failed.error).toContain(imported);
      const logs = await s.call<{ level: string; message: string }[]>('runs.logs', { id });
      expect(logs.at(-1)).toMatchObject({ level: 'error' });
      expect(logs.at(-1)!.message).toContain(imported);

      // Back to the built-in table: the same run resumes and completes, its error cleared.
      rmSync(imported);
      await s.call('runs.resume', { id });
      expect(await waitDone(id)).toMatchObject({ kind: 'dry-run', status: 'completed', error: null });
    } finally {
      rmSync(imported, { force: true });
    }
  });

  test('a clone with the same seed finds the same architecture; deleting the original keeps the clone', async () => {
    const { id } = await s.call<{ id: number }>('runs.create', { config: { ...DRY_RUN, name: 'original' } });
    const original = await waitDone(id);
    const { id: cloneId } = await s.call<{ id: number }>('runs.create', { config: { ...original.config, name: 'clone' } });
    const clone = await waitDone(cloneId);
    expect(clone).toMatchObject({ kind: 'dry-run', arch: original.arch, summary: original.summary });
    expect(clone.config).toEqual({ ...original.config, name: 'clone' });

    // Resume is for paused, failed or cancelled runs; a completed dry run is refused like any completed run.
    const resume = await s.raw('runs.resume', { id });
    expect(resume.status).toBe(409);
    expect(resume.body.error).toMatch(/only paused, failed or cancelled runs can be resumed/);

    // A dry run cancelled while it waits in the queue (behind another one) resumes and completes.
    const { id: first } = await s.call<{ id: number }>('runs.create', { config: DRY_RUN });
    const { id: waiting } = await s.call<{ id: number }>('runs.create', { config: { ...DRY_RUN, seed: 2 } });
    await s.call('runs.cancel', { id: waiting });
    expect((await s.call<any>('runs.get', { id: waiting })).status).toBe('cancelled');
    await waitDone(first);
    await s.call('runs.resume', { id: waiting });
    expect(await waitDone(waiting)).toMatchObject({ kind: 'dry-run', status: 'completed', error: null });

    await s.call('runs.delete', { id });
    expect((await s.raw('runs.get', { id })).status).toBe(404);
    expect(await s.call('runs.get', { id: cloneId })).toMatchObject({ kind: 'dry-run', status: 'completed', arch: original.arch });
  });
});
