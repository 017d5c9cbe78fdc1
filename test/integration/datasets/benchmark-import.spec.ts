import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultNb201TablePath } from '../../../src/main/nas/estimation/nb201-table';
import { makeTempDir, startServer, waitFor, type ServerProcess } from '../../support/nas-server';

// Importing a user's NAS-Bench-201 table through the real headless server, on a real temp data folder: a good
// export becomes the active table (and a dry run decides on its validation column); bad files are refused with
// the line and the problem while the previous table stays active; the copy in the data folder is never partial.

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('NAS-Bench-201 table import', () => {
  const tmp = makeTempDir('nas-it-bench-');
  const dataDir = join(tmp.dir, 'data');
  const files = join(tmp.dir, 'files');
  const active = join(dataDir, 'benchmarks', 'nb201.csv');
  const builtin = readFileSync(defaultNb201TablePath(), 'utf8');
  const [header, ...rows] = builtin.trimEnd().split('\n');
  /** A validation accuracy unlike the test one (so a test can tell which column was read), 40..90. */
  const validOf = (i: number) => (40 + ((i * 7919) % 5001) / 100).toFixed(2);
  const withValid = [
    `${header},cifar10_valid,cifar100_valid,imagenet16_valid`,
    ...rows.map((r, i) => `${r},${validOf(i)},${validOf(i + 1)},${validOf(i + 2)}`),
  ];
  const write = (name: string, lines: string[]) => {
    const p = join(files, name);
    writeFileSync(p, lines.join('\n') + '\n');
    return p;
  };
  let s: ServerProcess;
  beforeAll(async () => {
    mkdirSync(files, { recursive: true });
    s = await startServer(dataDir);
  });
  afterAll(async () => {
    await s?.stop();
    tmp.dispose();
  });
  const leftovers = () => readdirSync(join(dataDir, 'benchmarks')).filter((n) => n !== 'nb201.csv' && n !== 'nb201.origin.json');

  test('at first the built-in table is active', async () => {
    const info = await s.call('benchmarks.info');
    expect(info).toEqual({
      source: 'built-in',
      path: defaultNb201TablePath(),
      rows: 15625,
      hasValidation: false,
      validationColumns: [],
      importedAt: null,
      importedFrom: null,
      sha256: sha256(builtin),
    });
  });

  test('a good export is copied into the data folder and becomes active; the copy is never seen partial', async () => {
    const good = write('good.csv', withValid);
    const goodBytes = readFileSync(good);
    // Read the data folder's copy over and over while the import runs: absent or the whole new table, never a part.
    let done = false;
    const seen = new Set<string>();
    let reads = 0;
    const watcher = (async () => {
      while (!done) {
        reads++;
        if (existsSync(active)) {
          try {
            seen.add(sha256(readFileSync(active)));
          } catch {
            // renamed away between the check and the read
          }
        } else seen.add('absent');
        await new Promise((r) => setImmediate(r));
      }
    })();
    const before = Date.now();
    const info = await s.call('benchmarks.import', { path: good }).finally(() => (done = true));
    await watcher;
    expect(reads).toBeGreaterThan(2);
    expect([...seen].every((h) => h === 'absent' || h === sha256(goodBytes))).toBe(true);
    expect(info).toMatchObject({ source: 'imported', path: active, rows: 15625, hasValidation: true, importedFrom: good, sha256: sha256(goodBytes) });
    expect(info.validationColumns).toEqual(['cifar10_valid', 'cifar100_valid', 'imagenet16_valid']);
    expect(info.importedAt).toBeGreaterThanOrEqual(before - 2000);
    expect(sha256(readFileSync(active))).toBe(sha256(goodBytes));
    expect(leftovers()).toEqual([]);
    expect(await s.call('benchmarks.info')).toEqual(info);
  });

  const refusals: [string, () => string[], RegExp][] = [
    ['a missing column', () => withValid.map((l) => l.split(',').filter((_, i) => i !== 3).join(',')), /line 1: the header lacks the column cifar100_test/],
    ['15,624 rows', () => withValid.slice(0, -1), /holds 15,624 rows but the NAS-Bench-201 space has 15,625 cells.*incomplete/],
    [
      'a duplicate arch',
      () => withValid.map((l, i) => (i === 500 ? [l.split(',')[0], withValid[7].split(',')[1], ...l.split(',').slice(2)].join(',') : l)),
      /line 501: arch \|.*\| already appears on line 8/,
    ],
    ['a NaN', () => withValid.map((l, i) => (i === 9000 ? l.replace(/,[^,]*$/, ',NaN') : l)), /line 9001: imagenet16_valid 'NaN' is not a number/],
  ];
  for (const [what, lines, message] of refusals) {
    test(`a file with ${what} is refused with its line and problem; the previous table stays active`, async () => {
      const before = await s.call('benchmarks.info');
      const copy = sha256(readFileSync(active));
      const bad = write(`${what.replace(/\W+/g, '-')}.csv`, lines());
      const r = await s.raw('benchmarks.import', { path: bad });
      expect(r.status).toBe(400);
      expect(r.body.error).toContain(`${bad}: `);
      expect(r.body.error).toMatch(message);
      expect(r.body.error).toMatch(/fix the file or export it again/);
      expect(await s.call('benchmarks.info')).toEqual(before);
      expect(sha256(readFileSync(active))).toBe(copy);
      expect(leftovers()).toEqual([]);
    });
  }

  test('a relative path, a missing file, a folder and an oversized file are refused by name', async () => {
    const before = await s.call('benchmarks.info');
    const relative = await s.raw('benchmarks.import', { path: 'nb201.csv' });
    expect(relative.status).toBe(400);
    expect(relative.body.error).toMatch(/'nb201\.csv' is not a full path/);
    expect(relative.body.hint).toMatch(/full path of the CSV file/);
    const missing = await s.raw('benchmarks.import', { path: join(files, 'nope.csv') });
    expect(missing.body.error).toContain(`${join(files, 'nope.csv')}: file not found`);
    const folder = await s.raw('benchmarks.import', { path: files });
    expect(folder.body.error).toContain(`${files}: is a folder, not a file`);
    const huge = join(files, 'huge.csv');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, 65 * 2 ** 20); // sparse: no disk used
    closeSync(fd);
    const big = await s.raw('benchmarks.import', { path: huge });
    expect(big.status).toBe(400);
    expect(big.body.error).toMatch(/huge\.csv: is 65 MiB; .*at most 64 MiB is accepted/);
    const empty = await s.raw('benchmarks.import', { path: '  ' });
    expect(empty.status).toBe(400);
    expect(await s.call('benchmarks.info')).toEqual(before);
  });

  test('a dry run on the imported table decides on its validation column and says nothing about test accuracy', async () => {
    const config = { estimation: 'nb201-table', space: { name: 'nb201' }, strategy: { name: 'random', samples: 30 }, seed: 3 };
    const { id } = await s.call<{ id: number }>('runs.create', { config });
    const done = await waitFor(
      async () => {
        const r = await s.call<any>('runs.get', { id });
        if (r.status === 'failed') throw new Error(`dry run failed: ${r.error}`);
        return r.status === 'completed' ? r : null;
      },
      'the dry run to complete',
      { timeoutMs: 60_000 },
    );
    expect(done.summary.signal).toBe('cifar10_valid');
    expect(done.summary.notes.join(' ')).not.toMatch(/only test accuracies/);
    // The returned cell's validation accuracies are the imported file's, read here from its own line.
    const line = withValid.find((l) => l.split(',')[1] === done.arch)!.split(',');
    expect(done.nb201.valid).toEqual({ cifar10: Number(line[7]), cifar100: Number(line[8]), imagenet16: Number(line[9]) });
  });

  test('after a crash in the middle of an import, the next start removes the half-written file and keeps the table', async () => {
    const before = await s.call('benchmarks.info');
    const half = join(dataDir, 'benchmarks', 'nb201.csv.importing-99999-1');
    writeFileSync(half, withValid.slice(0, 4000).join('\n'));
    await s.stop();
    s = await startServer(dataDir);
    expect(existsSync(half)).toBe(false);
    expect(await s.call('benchmarks.info')).toEqual(before);
  });

  test('reset goes back to the built-in table and removes the copy; a dry run then notes test-only accuracies', async () => {
    const info = await s.call('benchmarks.reset');
    expect(info).toMatchObject({ source: 'built-in', hasValidation: false, importedFrom: null, sha256: sha256(builtin) });
    expect(existsSync(active)).toBe(false);
    const { id } = await s.call<{ id: number }>('runs.create', {
      config: { estimation: 'nb201-table', space: { name: 'nb201' }, strategy: { name: 'random', samples: 10 }, seed: 3 },
    });
    const done = await waitFor(
      async () => {
        const r = await s.call<any>('runs.get', { id });
        return r.status === 'completed' || r.status === 'failed' ? r : null;
      },
      'the dry run to end',
      { timeoutMs: 60_000 },
    );
    expect(done.status).toBe('completed');
    expect(done.summary.signal).toBe('cifar10_test');
    expect(done.summary.notes.join(' ')).toMatch(/only test accuracies/);
    expect(done.nb201.valid).toBeUndefined();
  });
});
