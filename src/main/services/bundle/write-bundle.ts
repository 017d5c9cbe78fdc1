import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import * as tar from 'tar';
import { ConflictError, NotFoundError, UserError } from '../../app-errors';
import { requireFreeSpace } from '../../disk-space';
import type { Store } from '../../store/store';
import { listFiles, isRegularFile, sha256Buffer, sha256File, fsyncFile, within } from './files';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, FILES_DIR, MANIFEST_NAME, RECORDS_DIR, type Manifest, type TableRecords } from './format';
import { readRunRecords } from './run-records';

// Export: the run's records and files are gathered in a temporary folder inside the data folder (files as hard
// links, no copy), hashed, described by the manifest, and packed into `<out>.partial-…`, which is flushed and
// renamed to `out` only when complete. A failure leaves neither the partial file nor the temporary folder.

export interface ExportContext {
  store: Store;
  dataDir: string;
  runDir: (id: number) => string;
  appVersion: string;
  schemaVersion: number;
}

export interface ExportOutcome {
  path: string;
  bytes: number;
  sha256: string;
  members: number;
}

/** Statuses whose records still change: exporting them would catch a run mid-write. */
const BUSY = new Set(['running', 'queued']);

export async function writeRunBundle(ctx: ExportContext, runId: number, out: string): Promise<ExportOutcome> {
  if (!isAbsolute(out)) throw new UserError(`path: '${out}' is not a full path.`, 'Give the full path of the bundle file to write, e.g. /home/me/run-12.nasrun.');
  if (existsSync(out)) throw new ConflictError(`${out} already exists.`, 'Choose another file name, or delete the old file first.');
  if (!existsSync(dirname(out)) || !statSync(dirname(out)).isDirectory()) {
    throw new UserError(`path: the folder ${dirname(out)} does not exist.`, 'Create the folder first, or choose a file in an existing folder.');
  }
  const run = ctx.store.runs.get(runId);
  if (!run) throw new NotFoundError(`There is no run ${runId}.`, 'Pick a run from the runs list; it may have been deleted.');
  if (BUSY.has(run.status)) {
    throw new ConflictError(`Run ${runId} is ${run.status}; its records are still changing.`, 'Pause it or wait until it ends, then export it.');
  }

  const records = ctx.store.transaction(() => readRunRecords(ctx.store.db, runId));
  const latest = ctx.store.artifacts.latest(runId);
  const runDir = ctx.runDir(runId);
  const files = new Map<string, string>(); // member name under files/ → source path
  const paths: Manifest['paths'] = [{ from: runDir, to: '' }];
  for (const rel of listFiles(runDir)) {
    // Only the checkpoint a resume would use: older ones are kept locally for safety, not history.
    if (rel.startsWith('checkpoints/') && join(runDir, rel) !== latest?.path) continue;
    files.set(rel, join(runDir, rel));
  }
  keepLatestCheckpointRow(records.artifacts, latest?.id ?? null);
  addExternalArtifacts(records.artifacts, runDir, files, paths);

  const dataset = datasetOf(ctx.store, records.runs);
  const staging = mkdtempSync(join(ctx.dataDir, '.bundle-export-'));
  const partial = `${out}.partial-${randomBytes(4).toString('hex')}`;
  try {
    const members: Manifest['members'] = [];
    mkdirSync(join(staging, RECORDS_DIR));
    for (const [table, rows] of Object.entries(records)) {
      const name = `${RECORDS_DIR}/${table}.json`;
      const data = Buffer.from(JSON.stringify(rows));
      writeFileSync(join(staging, name), data, { mode: 0o600 });
      members.push({ name, size: data.length, sha256: sha256Buffer(data) });
    }
    let bytes = 0;
    for (const [rel, source] of files) {
      const name = `${FILES_DIR}/${rel}`;
      const target = join(staging, ...name.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      linkOrCopy(source, target);
      const { sha256, size } = await sha256File(target);
      members.push({ name, size, sha256 });
      bytes += size;
    }
    requireFreeSpace(dirname(out), bytes + 4 * 2 ** 20, 'write the bundle');
    const manifest: Manifest = {
      format: BUNDLE_FORMAT,
      formatVersion: BUNDLE_FORMAT_VERSION,
      app: { name: 'NAS Studio', version: ctx.appVersion },
      schemaVersion: ctx.schemaVersion,
      exportedAt: Date.now(),
      run: { id: runId, name: run.name, kind: run.kind, status: run.status },
      dataset,
      paths,
      members,
    };
    writeFileSync(join(staging, MANIFEST_NAME), JSON.stringify(manifest, null, 1), { mode: 0o600 });
    const entries = [MANIFEST_NAME, RECORDS_DIR, ...(files.size ? [FILES_DIR] : [])];
    // portable: no owner names, user ids or atimes from this machine in the archive.
    await tar.c({ gzip: true, cwd: staging, file: partial, portable: true }, entries);
    fsyncFile(partial);
    renameSync(partial, out);
    const { sha256, size } = await sha256File(out);
    return { path: out, bytes: size, sha256, members: members.length };
  } catch (e) {
    rmSync(partial, { force: true });
    throw e;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function linkOrCopy(source: string, target: string): void {
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target); // another disk, or a file system without hard links
  }
}

function column(records: TableRecords | undefined, name: string): number {
  return records ? records.columns.indexOf(name) : -1;
}

/** Older checkpoints' rows name files the bundle does not carry: only the latest stays. */
function keepLatestCheckpointRow(artifacts: TableRecords | undefined, latestId: number | null): void {
  const kind = column(artifacts, 'kind');
  const id = column(artifacts, 'id');
  if (!artifacts || kind < 0 || id < 0) return;
  artifacts.rows = artifacts.rows.filter((r) => r[kind] !== 'checkpoint' || r[id] === latestId);
}

/** A model or export written outside the run's folder (e.g. a CLI --export folder) travels under files/external/<artifact id>/. */
function addExternalArtifacts(artifacts: TableRecords | undefined, runDir: string, files: Map<string, string>, paths: Manifest['paths']): void {
  const pathCol = column(artifacts, 'path');
  const idCol = column(artifacts, 'id');
  if (!artifacts || pathCol < 0 || idCol < 0) return;
  for (const row of artifacts.rows) {
    const p = row[pathCol];
    if (typeof p !== 'string' || within(p, runDir) !== null || !existsSync(p)) continue;
    const to = `external/${row[idCol]}/${basename(p)}`;
    if (isRegularFile(p)) files.set(to, p);
    else if (statSync(p).isDirectory()) for (const rel of listFiles(p)) files.set(`${to}/${rel}`, join(p, rel));
    else continue;
    paths.push({ from: p, to });
  }
}

function datasetOf(store: Store, runs: TableRecords): Manifest['dataset'] {
  const id = runs.rows[0]![column(runs, 'dataset_id')];
  const d = typeof id === 'number' ? store.datasets.get(id) : null;
  return d ? { name: d.name, checksum: d.checksum, classes: d.classes, trainCount: d.trainCount } : null;
}
