import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoConfig, makeTempDir, startServer, waitFor, type ServerProcess } from '../../support/nas-server';

// Run bundles through two real headless servers on two data folders: a tiny real search exported from one is
// imported into the other and reads back the same through the API; damaged, truncated, tampered, foreign and
// newer-schema bundles are refused with nothing written (rows and files counted before and after).

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every file under a data folder except the database's own files, which SQLite rewrites on its own. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.filter((f) => !f.startsWith('nas-studio.db') && !f.startsWith('backups')).sort();
}

const TABLES = ['runs', 'metrics', 'snapshots', 'decisions', 'eigenvalues', 'artifacts', 'logs', 'notes', 'tags'];
function rowCounts(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, 'nas-studio.db'), { readonly: true });
  try {
    return Object.fromEntries(TABLES.map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number]));
  } finally {
    db.close();
  }
}

describe('run bundles', () => {
  const tmp = makeTempDir('nas-it-bundle-');
  const dirA = join(tmp.dir, 'a');
  const dirB = join(tmp.dir, 'b');
  const work = join(tmp.dir, 'work');
  const bundle = join(work, 'run.nasrun');
  let a: ServerProcess;
  let b: ServerProcess;
  let runId: number;

  beforeAll(async () => {
    mkdirSync(work, { recursive: true });
    [a, b] = await Promise.all([startServer(dirA), startServer(dirB)]);
    const ds = await a.call('datasets.importBuiltin', { which: 'demo' });
    await b.call('datasets.importBuiltin', { which: 'demo' });
    runId = (await a.call('runs.create', { config: demoConfig(ds.id, { name: 'bundle me' }) })).id;
    await waitFor(async () => (await a.call('runs.get', { id: runId })).status === 'completed' || null, 'the run to complete', { timeoutMs: 120_000 });
  }, 180_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    tmp.dispose();
  });

  test('a bundle exported from one data folder and imported into another shows the same run, metrics, snapshots, history, logs and checkpoint', async () => {
    const out = await a.call('runs.exportBundle', { id: runId, path: bundle });
    expect(out.path).toBe(bundle);
    expect(out.sha256).toBe(sha256(readFileSync(bundle)));
    expect(out.bytes).toBe(statSync(bundle).size);
    const names: string[] = [];
    await tar.t({ file: bundle, onReadEntry: (e) => names.push(e.path) });
    expect(names[0]).toBe('manifest.json');
    expect(names).toContain('records/metrics.json');
    expect(names.some((n) => /^files\/checkpoints\/.+\.ckpt$/.test(n))).toBe(true);

    const imported = await b.call('runs.importBundle', { path: bundle });
    expect(imported).toMatchObject({ name: 'bundle me', originalId: runId, missingDataset: null });
    const [src, dst] = await Promise.all([a.call('runs.get', { id: runId }), b.call('runs.get', { id: imported.id })]);
    const same = (r: Record<string, unknown>) => {
      const { id: _id, note: _note, config, ...rest } = r as { id: number; note?: string; config: Record<string, unknown> };
      return { ...rest, config: { ...config, dataset: null } };
    };
    expect(same(dst)).toEqual(same(src));
    expect(dst.genotype ?? dst.arch).toBeTruthy(); // the cell
    // The config names the importing history's copy of the dataset.
    const datasetsB = await b.call('datasets.list');
    expect(dst.config.dataset).toBe(String(datasetsB[0].id));

    for (const channel of ['runs.metrics', 'runs.logs', 'runs.searchHistory']) {
      const args = channel === 'runs.metrics' ? { maxPoints: 100_000 } : {};
      expect(await b.call(channel, { id: imported.id, ...args })).toEqual(await a.call(channel, { id: runId, ...args }));
    }
    for (const kind of ['alpha', 'genotype', 'probabilities', 'policy']) {
      expect(await b.call('runs.snapshots', { id: imported.id, kind })).toEqual(await a.call('runs.snapshots', { id: runId, kind }));
    }
    // The latest checkpoint is in the new run's folder, byte for byte, and its artifact row points there.
    const dbB = new Database(join(dirB, 'nas-studio.db'), { readonly: true });
    const dbA = new Database(join(dirA, 'nas-studio.db'), { readonly: true });
    try {
      const latest = (db: Database.Database, id: number) =>
        db.prepare("SELECT path, checksum, size FROM artifacts WHERE run_id = ? AND kind = 'checkpoint' ORDER BY id DESC LIMIT 1").get(id) as { path: string; checksum: string; size: number };
      const ckA = latest(dbA, runId);
      const ckB = latest(dbB, imported.id);
      expect(ckB.path.startsWith(join(dirB, 'runs', String(imported.id)) + '/')).toBe(true);
      expect(readFileSync(ckB.path).equals(readFileSync(ckA.path))).toBe(true);
      expect({ ...ckB, path: null }).toEqual({ ...ckA, path: null });
      const note = dbB.prepare('SELECT text FROM notes WHERE run_id = ?').pluck().get(imported.id) as string;
      expect(note).toContain(`run #${runId}`);
    } finally {
      dbA.close();
      dbB.close();
    }
  });

  test('a history without the dataset imports the run and names the dataset as missing', async () => {
    const dirC = join(tmp.dir, 'c');
    const c = await startServer(dirC);
    try {
      const imported = await c.call('runs.importBundle', { path: bundle });
      expect(imported.missingDataset).toBe('Fashion-MNIST demo');
      const run = await c.call('runs.get', { id: imported.id });
      expect(run.datasetName).toBe('Fashion-MNIST demo');
    } finally {
      await c.stop();
    }
  });

  /** Unpacks the good bundle, lets `change` edit the folder, and packs it again in the same order. */
  async function repacked(name: string, change: (dir: string) => void): Promise<string> {
    const dir = join(work, `${name}-dir`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    await tar.x({ file: bundle, cwd: dir });
    change(dir);
    const out = join(work, `${name}.nasrun`);
    await tar.c({ gzip: true, cwd: dir, file: out, portable: true }, readdirSync(dir).sort((x, y) => (x === 'manifest.json' ? -1 : y === 'manifest.json' ? 1 : x.localeCompare(y))));
    return out;
  }
  const editJson = (file: string, fn: (v: any) => void) => {
    const v = JSON.parse(readFileSync(file, 'utf8'));
    fn(v);
    writeFileSync(file, JSON.stringify(v));
  };

  test('damaged, truncated, tampered, foreign and newer bundles are refused and leave nothing behind', async () => {
    const good = readFileSync(bundle);
    const truncated = join(work, 'truncated.nasrun');
    writeFileSync(truncated, good.subarray(0, Math.floor(good.length * 0.6)));
    const flipped = Buffer.from(good);
    for (let i = Math.floor(flipped.length / 2); i < flipped.length / 2 + 64; i++) flipped[i] = flipped[i]! ^ 0xff;
    const corrupted = join(work, 'corrupted.nasrun');
    writeFileSync(corrupted, flipped);
    const foreign = join(work, 'notes.txt');
    writeFileSync(foreign, 'just some text\n');
    const cases: Array<[string, string, RegExp]> = [
      [truncated, 'truncated', /not a complete NAS Studio bundle|truncated/],
      [corrupted, 'corrupted', /not a complete NAS Studio bundle|damaged|checksum/],
      [foreign, 'foreign', /not a NAS Studio run bundle/],
      [
        await repacked('tampered', (d) => editJson(join(d, 'records', 'metrics.json'), (m) => (m.rows[0][m.columns.indexOf('value')] = 0.999))),
        'tampered metric',
        /'records\/metrics\.json' does not match its checksum/,
      ],
      [await repacked('extra', (d) => writeFileSync(join(d, 'files', 'extra.txt'), 'x')), 'unlisted member', /'files\/extra\.txt', which its manifest does not list/],
      [await repacked('symlink', (d) => symlinkSync('/etc/passwd', join(d, 'files', 'passwd'))), 'symbolic link', /'files\/passwd', a symbolic link/],
      [await repacked('newer', (d) => editJson(join(d, 'manifest.json'), (m) => (m.schemaVersion = 999))), 'newer schema', /history schema 999.*Nothing was imported/],
      [await repacked('no-runs', (d) => rmSync(join(d, 'records', 'runs.json'))), 'missing member', /'records\/runs\.json' is missing/],
    ];
    const rowsBefore = rowCounts(dirB);
    const filesBefore = filesUnder(dirB);
    for (const [path, what, message] of cases) {
      const r = await b.raw('runs.importBundle', { path });
      expect({ what, status: r.status }).toEqual({ what, status: 400 });
      expect(r.body.error, what).toMatch(message);
      expect(r.body.hint, what).toBeTruthy();
      expect(rowCounts(dirB), what).toEqual(rowsBefore);
      expect(filesUnder(dirB), what).toEqual(filesBefore);
    }
    const newer = await b.raw('runs.importBundle', { path: join(work, 'newer.nasrun') });
    expect(newer.body.hint).toMatch(/Update NAS Studio/);
  });

  test('export refuses an existing file, a relative path and an unknown run; without a path it writes into the data folder', async () => {
    expect((await a.raw('runs.exportBundle', { id: runId, path: bundle })).status).toBe(409);
    expect((await a.raw('runs.exportBundle', { id: runId, path: 'run.nasrun' })).status).toBe(400);
    expect((await a.raw('runs.exportBundle', { id: 999, path: join(work, 'x.nasrun') })).status).toBe(404);
    const out = await a.call('runs.exportBundle', { id: runId });
    expect(out.path).toBe(join(dirA, 'exports', `nas-studio-run-${runId}.nasrun`));
    expect(existsSync(out.path)).toBe(true);
    expect(readdirSync(dirA).filter((n) => n.startsWith('.bundle-export-'))).toEqual([]);
  });
});
