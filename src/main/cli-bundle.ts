import type { Command } from 'commander';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, int } from './cli-config';
import { prepareDataDir, resolveDataDir } from './data-dir';
import { DataDirInUseError, acquireInstanceLock } from './instance-lock';
import { BundleService } from './services/bundle-service';
import { LATEST_SCHEMA_VERSION } from './store/migrations/index';
import { Store } from './store/store';
import { APP_VERSION } from './version';

// `nas-studio export RUN_ID --out FILE` and `nas-studio import FILE`: run bundles from the command line, on the
// history the app and the server use (the same default data folder, or --data-dir). Export only reads, so it
// works while the app runs; import writes, so it needs the data folder to itself.

const DB_FILE = 'nas-studio.db';

interface BundleOptions {
  dataDir?: string;
  json?: boolean;
}


function service(store: Store, dataDir: string): BundleService {
  return new BundleService({ store, dataDir, runDir: (id) => join(dataDir, 'runs', String(id)), appVersion: APP_VERSION, schemaVersion: LATEST_SCHEMA_VERSION });
}

function fail(e: unknown): never {
  const err = e as Error & { hint?: string };
  throw Object.assign(new CliError(err.message), { hint: err.hint });
}

async function exportRun(runId: number, opts: BundleOptions & { out: string }): Promise<void> {
  const dataDir = resolveDataDir(opts.dataDir);
  if (!existsSync(join(dataDir, DB_FILE))) {
    throw Object.assign(new CliError(`There is no NAS Studio history in ${dataDir}.`), { hint: 'Pass --data-dir with the folder that holds nas-studio.db.' });
  }
  const store = Store.open(join(dataDir, DB_FILE));
  try {
    const outcome = await service(store, dataDir).exportRun(runId, resolve(opts.out)).catch(fail);
    if (opts.json) process.stdout.write(`${JSON.stringify({ runId, ...outcome })}\n`);
    else process.stdout.write(`Run ${runId} written to ${outcome.path} (${outcome.members} members, ${outcome.bytes} bytes, sha256 ${outcome.sha256}).\n`);
  } finally {
    store.close();
  }
}

async function importBundle(file: string, opts: BundleOptions): Promise<void> {
  const dataDir = resolveDataDir(opts.dataDir);
  // A refused bundle must not leave a new, empty history behind (a mistyped --data-dir would).
  const created = !existsSync(dataDir);
  try {
    await importInto(dataDir, file, opts);
  } catch (e) {
    if (created) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

async function importInto(dataDir: string, file: string, opts: BundleOptions): Promise<void> {
  prepareDataDir(dataDir);
  let lock;
  try {
    lock = acquireInstanceLock(dataDir, 'server');
  } catch (e) {
    if (!(e instanceof DataDirInUseError)) throw e;
    throw Object.assign(new CliError(e.message), { hint: 'Or import it in the running app: Runs → Import run….' });
  }
  const store = (() => {
    try {
      return Store.open(join(dataDir, DB_FILE));
    } catch (e) {
      lock.release();
      throw e;
    }
  })();
  try {
    const r = await service(store, dataDir).importBundle(resolve(file)).catch(fail);
    if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else {
      process.stdout.write(`Imported run #${r.originalId} (NAS Studio ${r.exportedBy}) as run ${r.id}: ${r.name}\n`);
      if (r.missingDataset) process.stdout.write(`Its dataset '${r.missingDataset}' is not in this history; import it on the Datasets page to resume or clone the run.\n`);
    }
  } finally {
    store.close();
    lock.release();
  }
}

export function addBundleCommands(program: Command): void {
  program
    .command('export')
    .description('Write one run of the history (records, latest checkpoint, exported files, checksums) to a .nasrun bundle.')
    .argument('<runId>', 'the run number, as in the runs list', int('RUN_ID', 1))
    .requiredOption('--out <file>', 'the bundle file to write (must not exist yet)')
    .option('--data-dir <dir>', "data folder (default: $NAS_STUDIO_DATA or the app's per-user folder)")
    .option('--json', 'print one JSON line: path, bytes, sha256, members')
    .action(async (runId: number, opts: BundleOptions & { out: string }) => exportRun(runId, opts));
  program
    .command('import')
    .description('Check a .nasrun bundle in full, then add its run to the history under a new number (all or nothing).')
    .argument('<file>', 'the bundle file')
    .option('--data-dir <dir>', "data folder (default: $NAS_STUDIO_DATA or the app's per-user folder)")
    .option('--json', 'print one JSON line: id, name, originalId, exportedBy, missingDataset')
    .action(async (file: string, opts: BundleOptions) => importBundle(file, opts));
}
