import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTempDir, startServer, waitFor, type ServerProcess } from '../../support/nas-server';

// `nas-studio export` and `nas-studio import` as a user runs them (the built CLI in a real process) on real data
// folders: a dry run recorded by the server is exported from its history while the server runs, imported into
// another folder's history, and reads back the same; importing into a folder a server holds is refused.

const bin = join(__dirname, '..', '..', '..', 'bin', 'nas-studio.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NAS_STUDIO_DATA: '' } });
const DRY_RUN = { estimation: 'nb201-table', space: { name: 'nb201' }, strategy: { name: 'evolution', samples: 30, population: 10, sampleSize: 3 }, seed: 2, name: 'cli bundle' };

function rows(dataDir: string, sql: string, ...params: unknown[]): unknown[] {
  const db = new Database(join(dataDir, 'nas-studio.db'), { readonly: true });
  try {
    return db.prepare(sql).raw().all(...params);
  } finally {
    db.close();
  }
}

describe('nas-studio export / import', () => {
  const tmp = makeTempDir('nas-it-bundle-cli-');
  const dirA = join(tmp.dir, 'a');
  const dirD = join(tmp.dir, 'd');
  const out = join(tmp.dir, 'out', 'run.nasrun');
  let s: ServerProcess;
  let runId: number;
  beforeAll(async () => {
    mkdirSync(join(tmp.dir, 'out'));
    s = await startServer(dirA);
    runId = (await s.call('runs.create', { config: DRY_RUN })).id;
    await waitFor(async () => (await s.call('runs.get', { id: runId })).status === 'completed' || null, 'the dry run to complete');
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    tmp.dispose();
  });

  test('export reads the history while the server runs; import into another folder gives the same run and rows', () => {
    const ex = cli('export', String(runId), '--out', out, '--data-dir', dirA, '--json');
    expect(ex.status, ex.stderr).toBe(0);
    const exported = JSON.parse(ex.stdout.trim());
    expect(exported).toMatchObject({ runId, path: out });
    expect(existsSync(out)).toBe(true);

    const im = cli('import', out, '--data-dir', dirD, '--json');
    expect(im.status, im.stderr).toBe(0);
    const imported = JSON.parse(im.stdout.trim());
    expect(imported).toMatchObject({ name: 'cli bundle', originalId: runId, missingDataset: null });
    const cols = 'kind, name, status, config, seed, strategy, space, arch, nb201, summary, best_accuracy, progress, created_at, finished_at';
    expect(rows(dirD, `SELECT ${cols} FROM runs WHERE id = ?`, imported.id)).toEqual(rows(dirA, `SELECT ${cols} FROM runs WHERE id = ?`, runId));
    const metrics = 'SELECT name, step, epoch, value FROM metrics WHERE run_id = ? ORDER BY name, step';
    expect(rows(dirD, metrics, imported.id).length).toBeGreaterThan(0);
    expect(rows(dirD, metrics, imported.id)).toEqual(rows(dirA, metrics, runId));
    // The human form says what happened.
    const again = cli('import', out, '--data-dir', dirD);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`Imported run #${runId} \\(NAS Studio .+\\) as run ${imported.id + 1}: cli bundle`));
  });

  test('import into a data folder a running server holds is refused with the way out; bad input fails clearly', () => {
    const before = rows(dirA, 'SELECT count(*) FROM runs');
    const r = cli('import', out, '--data-dir', dirA);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/in use by the NAS Studio server/);
    expect(r.stderr).toMatch(/Import run/);
    expect(rows(dirA, 'SELECT count(*) FROM runs')).toEqual(before);

    const missing = cli('export', '999', '--out', join(tmp.dir, 'out', 'x.nasrun'), '--data-dir', dirA);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/There is no run 999/);
    const noHistory = cli('export', '1', '--out', join(tmp.dir, 'out', 'y.nasrun'), '--data-dir', join(tmp.dir, 'nowhere'));
    expect(noHistory.status).toBe(1);
    expect(noHistory.stderr).toMatch(/no NAS Studio history in/);
    expect(existsSync(join(tmp.dir, 'nowhere'))).toBe(false);
    const badFile = cli('import', join(tmp.dir, 'out', 'nope.nasrun'), '--data-dir', dirD);
    expect(badFile.status).toBe(1);
    expect(badFile.stderr).toMatch(/file not found/);
    // A refused bundle leaves no new history behind in a folder that did not exist (a mistyped --data-dir).
    const fresh = join(tmp.dir, 'fresh-history');
    const refused = cli('import', join(tmp.dir, 'out', 'nope.nasrun'), '--data-dir', fresh);
    expect(refused.status).toBe(1);
    expect(existsSync(fresh)).toBe(false);
  });
});
