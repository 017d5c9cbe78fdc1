import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterEach, describe, expect, test } from 'vitest';
import { BundleService } from '../../../src/main/services/bundle-service';
import { LATEST_SCHEMA_VERSION } from '../../../src/main/store/migrations/index';
import { Store } from '../../../src/main/store/store';
import { searchConfig } from './helpers';

// The bundle service on real SQLite files and real folders, without a server: values JSON cannot hold survive
// the trip, and failures after the import began (a folder in the way of the run's files, records of a table
// this history lacks) leave the history and the data folder as they were.

interface History {
  dir: string;
  store: Store;
  bundles: BundleService;
}

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function history(): History {
  const dir = mkdtempSync(join(tmpdir(), 'nas-bundle-svc-'));
  dirs.push(dir);
  const store = Store.open(join(dir, 'nas-studio.db'));
  stores.push(store);
  const bundles = new BundleService({ store, dataDir: dir, runDir: (id) => join(dir, 'runs', String(id)), appVersion: 'test', schemaVersion: LATEST_SCHEMA_VERSION });
  return { dir, store, bundles };
}

/** A paused run with log lines, a snapshot, a checkpoint file and values JSON has no syntax for (±Infinity). */
function seedRun(h: History): { id: number; checkpoint: Buffer } {
  const id = h.store.runs.create(searchConfig({ name: 'diverged' }), { id: null, name: 'Fashion-MNIST' });
  h.store.ingest(id, [
    { type: 'metrics', step: 1, epoch: 0, values: { train_loss: 2.5 } },
    { type: 'log', level: 'info', message: 'first' },
    { type: 'log', level: 'warn', message: 'second, with "quotes", commas\nand a line break' },
    { type: 'snapshot', epoch: 0, kind: 'alpha', payload: { ops: ['a', 'b'], cells: { normal: [[0.25, 0.75]] } } },
  ] as never);
  // The ingest path drops non-finite metrics, but the column holds them: a value written by an older app or by
  // hand must still survive.
  const insert = h.store.db.prepare("INSERT INTO metrics (run_id, name, step, epoch, value) VALUES (?, 'train_loss', ?, 0, ?)");
  insert.run(id, 2, Infinity);
  insert.run(id, 3, -Infinity);
  const checkpoint = Buffer.from('checkpoint bytes');
  const path = join(h.dir, 'runs', String(id), 'checkpoints', 'step-000000003-epoch-0000-000003.ckpt');
  mkdirSync(join(h.dir, 'runs', String(id), 'checkpoints'), { recursive: true });
  writeFileSync(path, checkpoint);
  h.store.artifacts.add(id, { kind: 'checkpoint', epoch: 1, path, size: checkpoint.length, checksum: 'c' });
  h.store.runs.setStatus(id, 'paused');
  return { id, checkpoint };
}

const count = (h: History, table: string) => h.store.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
const counts = (h: History) => Object.fromEntries(['runs', 'metrics', 'logs', 'snapshots', 'artifacts', 'notes'].map((t) => [t, count(h, t)]));
const entries = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : []);

describe('BundleService', () => {
  test('±Infinity, log order and text, snapshots and the checkpoint survive; a paused run stays resumable', async () => {
    const a = history();
    const b = history();
    const { id, checkpoint } = seedRun(a);
    const out = join(a.dir, 'run.nasrun');
    await a.bundles.exportRun(id, out);
    const r = await b.bundles.importBundle(out);
    expect(b.store.metrics.series(r.id, 100).train_loss!.map((p) => p[2])).toEqual([2.5, Infinity, -Infinity]);
    expect(b.store.logs.list(r.id).map((l) => l.message)).toEqual(a.store.logs.list(id).map((l) => l.message));
    expect(b.store.snapshots.list(r.id, 'alpha')).toEqual(a.store.snapshots.list(id, 'alpha'));
    const detail = b.store.runs.get(r.id)!;
    expect(detail.status).toBe('paused');
    expect(detail.resumable).toBe(true);
    const latest = b.store.artifacts.latest(r.id)!;
    expect(latest.path).toBe(join(b.dir, 'runs', String(r.id), 'checkpoints', 'step-000000003-epoch-0000-000003.ckpt'));
    expect(readFileSync(latest.path).equals(checkpoint)).toBe(true);
  });

  test('a folder in the way of the run files rolls the whole import back', async () => {
    const a = history();
    const b = history();
    const { id } = seedRun(a);
    const out = join(a.dir, 'run.nasrun');
    await a.bundles.exportRun(id, out);
    // The next run number's folder is taken (left by hand, say): the rename inside the transaction fails.
    mkdirSync(join(b.dir, 'runs', '1', 'someone'), { recursive: true });
    const before = counts(b);
    const filesBefore = entries(join(b.dir, 'runs'));
    await expect(b.bundles.importBundle(out)).rejects.toThrow(/runs\/1 already exists/);
    expect(counts(b)).toEqual(before);
    expect(entries(join(b.dir, 'runs'))).toEqual(filesBefore);
  });

  test('records of a table this history does not have are refused before anything is written', async () => {
    const a = history();
    const b = history();
    const { id } = seedRun(a);
    const out = join(a.dir, 'run.nasrun');
    await a.bundles.exportRun(id, out);
    // Re-pack with an extra records file that the manifest lists correctly: only the table check can catch it.
    const work = join(a.dir, 'work');
    mkdirSync(work);
    await tar.x({ file: out, cwd: work });
    const extra = Buffer.from(JSON.stringify({ columns: ['run_id', 'x'], rows: [[id, 1]] }));
    writeFileSync(join(work, 'records', 'secrets.json'), extra);
    const manifest = JSON.parse(readFileSync(join(work, 'manifest.json'), 'utf8'));
    const { createHash } = await import('node:crypto');
    manifest.members.push({ name: 'records/secrets.json', size: extra.length, sha256: createHash('sha256').update(extra).digest('hex') });
    writeFileSync(join(work, 'manifest.json'), JSON.stringify(manifest));
    const forged = join(a.dir, 'forged.nasrun');
    await tar.c({ gzip: true, cwd: work, file: forged }, ['manifest.json', 'records', 'files']);
    const before = counts(b);
    await expect(b.bundles.importBundle(forged)).rejects.toThrow(/records of 'secrets', which this history has no table for/);
    expect(counts(b)).toEqual(before);
    expect(entries(join(b.dir, 'runs'))).toEqual([]);
  });

  test('a running run is not exported; temporary folders a crash left are removed at start', async () => {
    const a = history();
    const id = a.store.runs.create(searchConfig(), { id: null, name: 'x' });
    a.store.runs.setStatus(id, 'running');
    await expect(a.bundles.exportRun(id, join(a.dir, 'x.nasrun'))).rejects.toMatchObject({ message: expect.stringMatching(/is running/), hint: expect.stringMatching(/Pause it or wait/), status: 409 });
    expect(existsSync(join(a.dir, 'x.nasrun'))).toBe(false);
    mkdirSync(join(a.dir, 'runs', '.import-abc123', 'files'), { recursive: true });
    mkdirSync(join(a.dir, '.bundle-export-xyz'));
    new BundleService({ store: a.store, dataDir: a.dir, runDir: (n) => join(a.dir, 'runs', String(n)), appVersion: 'test', schemaVersion: LATEST_SCHEMA_VERSION });
    expect(readdirSync(join(a.dir, 'runs'))).toEqual([]);
    expect(readdirSync(a.dir).filter((n) => n.startsWith('.bundle-export-'))).toEqual([]);
  });
});

describe('BundleService and the lab', () => {
  test("a run trained on a worker keeps where it was sent, the worker it ran on and its attempts", async () => {
    const a = history();
    const b = history();
    const id = a.store.runs.create(searchConfig({ name: 'on w1' }), { id: null, name: 'Fashion-MNIST' });
    a.store.dispatch.setWhere(id, 'any');
    a.store.dispatch.addAttempt(id, 1, null, null);
    a.store.dispatch.claim(id, 1, 'w1');
    a.store.dispatch.end(id, 1, 'lost', 'worker w1 stopped answering');
    a.store.dispatch.addAttempt(id, 2, 3, 'worker w1 stopped answering');
    a.store.dispatch.claim(id, 2, 'w2');
    a.store.dispatch.end(id, 2, 'completed', null);
    a.store.runs.setStatus(id, 'completed');
    const out = join(a.dir, 'run.nasrun');
    await a.bundles.exportRun(id, out);
    const r = await b.bundles.importBundle(out);
    const detail = b.store.runs.get(r.id)!;
    expect({ where: detail.where, ranOn: detail.ranOn }).toEqual({ where: 'any', ranOn: 'w2' });
    const strip = (xs: ReturnType<Store['dispatch']['attempts']>) => xs.map(({ attempt, worker, outcome, resumedFromEpoch, note }) => ({ attempt, worker, outcome, resumedFromEpoch, note }));
    expect(strip(b.store.dispatch.attempts(r.id))).toEqual(strip(a.store.dispatch.attempts(id)));
    expect(b.store.dispatch.activeRemote()).toEqual([]);
  });
});
