import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { upgradeStoredConfig } from '../../shared/config';
import { ConflictError } from '../app-errors';
import type { Store } from '../store/store';
import { BadBundleError, BUNDLE_EXTENSION, type Manifest, type TableRecords } from './bundle/format';
import { STAGING_PREFIX, stageBundle } from './bundle/read-bundle';
import { hasTable, insertRows, rowsAsObjects, runChildTables } from './bundle/run-records';
import { writeRunBundle, type ExportOutcome } from './bundle/write-bundle';
import { within } from './bundle/files';

// Run bundles: one file holding a run's records and files (format.ts), exported from one history and imported
// into another. An import checks the whole bundle before touching the history (read-bundle.ts), then writes the
// run and all its rows in one transaction and moves its files into place with one rename inside it: a bad or
// truncated bundle, or a failure half-way, leaves nothing behind. The imported run gets a new number; where it
// came from is kept in its note.

export interface BundleServiceOptions {
  store: Store;
  dataDir: string;
  runDir: (id: number) => string;
  appVersion: string;
  schemaVersion: number;
}

export interface ImportOutcome {
  id: number;
  name: string;
  /** The run's number in the history it was exported from. */
  originalId: number;
  /** The NAS Studio version that exported it. */
  exportedBy: string;
  /** The dataset the run trained on when this history has no dataset with the same files; null otherwise. */
  missingDataset: string | null;
}

const UNFINISHED = new Set(['running', 'queued']);

export class BundleService {
  constructor(private readonly o: BundleServiceOptions) {
    removeStale(join(o.dataDir, 'runs'), STAGING_PREFIX);
    removeStale(o.dataDir, '.bundle-export-');
  }

  /** Writes run `id` to `path` (default: <data folder>/exports/nas-studio-run-<id>.nasrun, numbered if taken). */
  exportRun(id: number, path?: string): Promise<ExportOutcome> {
    return writeRunBundle(this.o, id, path ?? this.defaultExportPath(id));
  }

  defaultExportPath(id: number): string {
    const dir = join(this.o.dataDir, 'exports');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const base = join(dir, `nas-studio-run-${id}`);
    for (let n = 1; ; n++) {
      const candidate = `${base}${n === 1 ? '' : `-${n}`}${BUNDLE_EXTENSION}`;
      if (!existsSync(candidate)) return candidate;
    }
  }

  async importBundle(path: string): Promise<ImportOutcome> {
    const staged = await stageBundle(path, join(this.o.dataDir, 'runs'), this.o.schemaVersion);
    try {
      return this.write(path, staged.manifest, staged.records, staged.filesDir);
    } finally {
      staged.discard();
    }
  }

  private write(path: string, manifest: Manifest, records: Record<string, TableRecords>, filesDir: string | null): ImportOutcome {
    const { store } = this.o;
    const db = store.db;
    const children = runChildTables(db);
    for (const table of Object.keys(records)) {
      if (table !== 'runs' && !children.has(table)) throw new BadBundleError(path, `it holds records of '${table}', which this history has no table for`);
    }
    const dataset = manifest.dataset ? store.datasets.findByChecksum(manifest.dataset.checksum) : null;
    let movedTo: string | null = null;
    try {
      const id = store.transaction(() => {
        const run = rowsAsObjects(db, 'runs', records.runs!)[0]!;
        const newId = insertRows(db, 'runs', [this.runRow(run, dataset?.id ?? null)]);
        const rebase = pathRebaser(manifest.paths, this.o.runDir(newId));
        // The run's own JSON (e.g. a retrain's export folder) may name its files too.
        for (const [column, value] of Object.entries(run)) {
          const moved = rebase(value);
          if (moved !== value) db.prepare(`UPDATE runs SET "${column}" = ? WHERE id = ?`).run(moved, newId);
        }
        for (const [table, column] of children) {
          const rows = records[table] ? rowsAsObjects(db, table, records[table]!) : [];
          insertRows(db, table, rows.map((r) => ({ ...mapValues(r, rebase), [column]: newId })));
        }
        this.addOriginNote(newId, path, manifest);
        if (filesDir) {
          const target = this.o.runDir(newId);
          if (existsSync(target)) throw new ConflictError(`The folder ${target} already exists; it is left from an earlier run.`, 'Move it away, then import again.');
          renameSync(filesDir, target);
          movedTo = target;
        }
        return newId;
      });
      const run = records.runs!;
      const name = String(run.rows[0]![run.columns.indexOf('name')] ?? manifest.run.name);
      const datasetName = String(run.rows[0]![run.columns.indexOf('dataset_name')] ?? '');
      const missing = manifest.run.kind === 'dry-run' || dataset ? null : manifest.dataset?.name ?? (datasetName || null);
      return { id, name, originalId: manifest.run.id, exportedBy: manifest.app.version, missingDataset: missing };
    } catch (e) {
      // The transaction rolled back; a folder moved in just before a failed commit goes too.
      if (movedTo) rmSync(movedTo, { recursive: true, force: true });
      if ((e as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) {
        throw new BadBundleError(path, `its records do not fit this history (${(e as Error).message})`);
      }
      throw e;
    }
  }

  /** The run as it enters this history: a new number, no lineage or group here, its dataset by checksum. */
  private runRow(run: Record<string, unknown>, datasetId: number | null): Record<string, unknown> {
    const row: Record<string, unknown> = { ...run, parent_id: null, dataset_id: datasetId, running_since: null };
    if ('group_id' in row) row.group_id = null;
    if (UNFINISHED.has(String(row.status))) row.status = 'cancelled';
    if (typeof row.config === 'string') {
      const config = upgradeStoredConfig(JSON.parse(row.config)) as { dataset?: unknown };
      // The config names its dataset by this history's id: the matching set's, or none (an id of the other
      // history would name an unrelated set here).
      if (datasetId !== null) config.dataset = String(datasetId);
      else if (typeof config.dataset === 'string' && /^[0-9]+$/.test(config.dataset)) config.dataset = '';
      row.config = JSON.stringify(config);
    }
    return row;
  }

  private addOriginNote(runId: number, path: string, m: Manifest): void {
    if (!hasTable(this.o.store.db, 'notes')) return;
    const origin =
      `Imported ${new Date().toISOString().slice(0, 16).replace('T', ' ')} from ${basename(path)}: ` +
      `run #${m.run.id} of NAS Studio ${m.app.version}, exported ${new Date(m.exportedAt).toISOString().slice(0, 16).replace('T', ' ')}.`;
    const db = this.o.store.db;
    const note = db.prepare('SELECT rowid AS id, text FROM notes WHERE run_id = ? ORDER BY rowid DESC LIMIT 1').get(runId) as { id: number; text: string } | undefined;
    if (note) db.prepare('UPDATE notes SET text = ? WHERE rowid = ?').run(`${note.text}\n\n${origin}`, note.id);
    else insertRows(db, 'notes', [{ run_id: runId, text: origin, created_at: Date.now() }]);
  }
}

type Rebase = (value: unknown) => unknown;

/** Rewrites absolute paths that pointed into the exported files (artifacts, an evaluation's export folder). */
function pathRebaser(paths: Manifest['paths'], runDir: string): Rebase {
  const rebaseString = (s: string): string => {
    for (const { from, to } of paths) {
      const rest = within(s, from);
      if (rest !== null) return join(runDir, ...to.split('/').filter(Boolean), ...rest.split('/').filter(Boolean));
    }
    return s;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return rebaseString(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return (value) => {
    if (typeof value !== 'string' || !paths.some((p) => value.includes(p.from))) return value;
    if (value.startsWith('{') || value.startsWith('[')) {
      try {
        return JSON.stringify(walk(JSON.parse(value)));
      } catch {
        return value;
      }
    }
    return rebaseString(value);
  };
}

function mapValues(row: Record<string, unknown>, fn: Rebase): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, fn(v)]));
}

function removeStale(dir: string, prefix: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(prefix)) rmSync(join(dir, n), { recursive: true, force: true });
}
