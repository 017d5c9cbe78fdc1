import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { BenchmarkInfo } from '../../shared/api';
import { UserError } from '../app-errors';
import { requireFreeSpace } from '../disk-space';
import { DatasetFileError } from '../nas/data/errors';
import { syncFolder } from '../nas/engine/checkpoint';
import { Nb201Table, defaultNb201TablePath } from '../nas/estimation/nb201-table';

// The NAS-Bench-201 table scores come from: the built-in one (resources/nb201.csv, NATS-Bench) or a user's
// export with the same columns, imported into <dataDir>/benchmarks/nb201.csv. An import reads the file once,
// validates all of it, and only then writes the copy (temporary file, fsync, rename): the previous table stays
// active on any failure, and the data folder never holds half a table.

/** A NAS-Bench-201 table is about 2 MiB; anything this large is the wrong file. */
export const MAX_BENCHMARK_TABLE_BYTES = 64 * 2 ** 20;
const TEMP_PREFIX = 'nb201.csv.importing-';

export class BenchmarkService {
  private readonly dir: string;
  /** The imported table (absent = the built-in one is active). */
  readonly importedPath: string;
  /** Where the imported table came from (shown to the user); cosmetic, so kept beside it, not in the table. */
  private readonly originPath: string;
  private hashCache: { version: string; sha256: string } | null = null;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'benchmarks');
    this.importedPath = join(this.dir, 'nb201.csv');
    this.originPath = join(this.dir, 'nb201.origin.json');
    this.removeStaleTemporaries();
  }

  /** The table a new run scores with: the imported file's path, or null for the built-in table. */
  activeTablePath(): string | null {
    return existsSync(this.importedPath) ? this.importedPath : null;
  }

  info(): BenchmarkInfo {
    const imported = this.activeTablePath();
    const path = imported ?? defaultNb201TablePath();
    try {
      Nb201Table.select(imported);
    } catch (e) {
      if (!(e instanceof DatasetFileError)) throw e;
      throw new UserError(
        `The imported NAS-Bench-201 table is damaged: ${e.message}`,
        'Import the table again, or reset to the built-in table.',
      );
    }
    const table = Nb201Table.current();
    const st = statSync(path);
    return {
      source: imported ? 'imported' : 'built-in',
      path,
      rows: table.size,
      hasValidation: table.hasValidation,
      validationColumns: [...table.validationColumns],
      importedAt: imported ? st.mtimeMs : null,
      importedFrom: imported ? this.readOrigin() : null,
      sha256: this.sha256Of(path, `${st.ino}:${st.size}:${st.mtimeMs}`),
    };
  }

  /** Validates the whole file, then makes a copy of it the active table. The previous one stays on any error. */
  importTable(source: string): BenchmarkInfo {
    if (!isAbsolute(source)) {
      throw new UserError(`path: '${source}' is not a full path.`, 'Give the full path of the CSV file, e.g. /home/me/nb201.csv.');
    }
    let size: number;
    try {
      const st = statSync(source);
      if (!st.isFile()) throw new DatasetFileError(source, 'is a folder, not a file', 'Give the path of the CSV file itself.');
      size = st.size;
    } catch (e) {
      if (e instanceof DatasetFileError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new DatasetFileError(source, code === 'ENOENT' ? 'file not found' : `cannot be read (${(e as Error).message})`, 'Check the path.');
    }
    if (size > MAX_BENCHMARK_TABLE_BYTES) {
      throw new DatasetFileError(
        source,
        `is ${(size / 2 ** 20).toFixed(0)} MiB; a NAS-Bench-201 table (15,625 rows) is about 2 MiB and at most ${MAX_BENCHMARK_TABLE_BYTES / 2 ** 20} MiB is accepted`,
        'Check that this is the table export and not another file.',
      );
    }
    // One read: the bytes validated are the bytes copied, even if the file changes meanwhile.
    const bytes = readFileSync(source);
    Nb201Table.parse(bytes.toString('utf8'), source);
    mkdirSync(this.dir, { recursive: true });
    requireFreeSpace(this.dir, 2 * bytes.length + 2 ** 20, 'import the NAS-Bench-201 table');
    this.writeAtomically(bytes);
    try {
      writeFileSync(this.originPath, JSON.stringify({ from: source }));
    } catch {
      // Only the label shown in the panel; the table itself is in place.
    }
    return this.info();
  }

  /** Back to the built-in table; the imported copy is removed. */
  reset(): BenchmarkInfo {
    rmSync(this.importedPath, { force: true });
    rmSync(this.originPath, { force: true });
    Nb201Table.select(null);
    return this.info();
  }

  private writeAtomically(bytes: Buffer): void {
    const tmp = join(this.dir, `${TEMP_PREFIX}${process.pid}-${Date.now()}`);
    const fd = openSync(tmp, 'w');
    try {
      // writeSync may write less than asked on a filling disk: loop; no progress means the disk is full.
      for (let done = 0; done < bytes.length; ) {
        const n = writeSync(fd, bytes, done, bytes.length - done);
        if (n <= 0) throw Object.assign(new Error('no space left on device (short write)'), { code: 'ENOSPC' });
        done += n;
      }
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, this.importedPath);
    } catch (e) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      rmSync(tmp, { force: true });
      const err = e as NodeJS.ErrnoException;
      throw new Error(`Could not save the table in ${this.dir} (${err.code ?? err.message}); the previous table stays active.`);
    }
    syncFolder(this.dir);
  }

  private readOrigin(): string | null {
    try {
      const from = (JSON.parse(readFileSync(this.originPath, 'utf8')) as { from?: unknown }).from;
      return typeof from === 'string' ? from : null;
    } catch {
      return null;
    }
  }

  private sha256Of(path: string, version: string): string {
    if (this.hashCache?.version !== `${path}:${version}`) {
      this.hashCache = { version: `${path}:${version}`, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
    }
    return this.hashCache.sha256;
  }

  /** Temporary files of an import a crash interrupted. */
  private removeStaleTemporaries(): void {
    if (!existsSync(this.dir)) return;
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith(TEMP_PREFIX)) rmSync(join(this.dir, basename(name)), { force: true });
    }
  }
}
