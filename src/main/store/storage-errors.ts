import { basename, dirname } from 'node:path';

// The errors a user can meet when NAS Studio opens its data folder. Each names the file or folder and says
// what to do; the raw SQLite or errno text is kept only as the reason in parentheses.

/** The database was written by a newer NAS Studio; the file was not modified. */
export class NewerSchemaError extends Error {
  constructor(
    readonly path: string,
    readonly fileVersion: number,
    readonly appVersion: number,
  ) {
    super(
      `The database at ${path} was written by a newer NAS Studio (schema v${fileVersion}, this app understands up to ` +
        `v${appVersion}). Update NAS Studio, or choose another data folder with --data-dir.`,
    );
    this.name = 'NewerSchemaError';
  }
}

/** The file exists but is not a NAS Studio database (not SQLite at all, or another program's SQLite file). */
export class NotANasStudioDatabaseError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(
      `The file ${path} is not a NAS Studio database (${reason}). Move it out of the way, or choose another data ` +
        `folder with --data-dir.`,
    );
    this.name = 'NotANasStudioDatabaseError';
  }
}

/**
 * The database is ours but damaged (truncated, garbage in a table, or 0 bytes). It was not modified: the way
 * out is to move it aside, and to restore `newestBackup` when there is one.
 */
export class DamagedDatabaseError extends Error {
  constructor(
    readonly path: string,
    reason: string,
    readonly newestBackup: string | null,
    backupDir: string,
  ) {
    const name = basename(path);
    const restore = newestBackup
      ? `To get your history back instead, move it aside and copy the newest automatic backup, ${newestBackup}, to ${path}.`
      : `There is no automatic backup in ${backupDir} to restore.`;
    super(
      `The database at ${path} is damaged (${reason}); NAS Studio did not change it. To start with an empty ` +
        `history, move it aside (with any ${name}-wal and ${name}-shm next to it), e.g. to ${path}.damaged. ${restore}`,
    );
    this.name = 'DamagedDatabaseError';
  }
}

/** The data folder or the database cannot be written (read-only disk, permissions, immutable file). */
export class StorageNotWritableError extends Error {
  constructor(
    readonly path: string,
    readonly what: 'data folder' | 'database',
    reason: string,
  ) {
    const fix =
      what === 'data folder'
        ? `Make the folder writable for this user (and its disk mounted read-write), or choose another data folder with --data-dir.`
        : `Make the file writable for this user (check its owner, permissions and that ${dirname(path)} is on a ` +
          `disk mounted read-write), or choose another data folder with --data-dir.`;
    super(`NAS Studio cannot write to its ${what} ${path} (${reason}). ${fix}`);
    this.name = 'StorageNotWritableError';
  }
}

/** The disk holding the database is full; nothing was changed. */
export class StorageFullError extends Error {
  constructor(readonly path: string) {
    super(`The disk holding ${path} is full. Free some space on it and start NAS Studio again.`);
    this.name = 'StorageFullError';
  }
}

const ERRNO_REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted, e.g. an immutable file',
  ENOSPC: 'no space left on the disk',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
};

/** A short, plain reason for a Node file-system error: "read-only file system (EROFS)". */
export function errnoReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code && ERRNO_REASONS[code]) return `${ERRNO_REASONS[code]}, ${code}`;
  return code ?? (err instanceof Error ? err.message : String(err));
}

/** Errors that mean "this path cannot be written" rather than "something is wrong with its content". */
export function isNotWritable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
}
