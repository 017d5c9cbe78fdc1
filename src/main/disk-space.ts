import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';

// Free space on the disk that holds a folder, and the refusal users see when it is too little.

/** Below this the UI warns that the data folder's disk is nearly full. */
export const LOW_SPACE_BYTES = 256 * 2 ** 20;
/** What a run needs free to start when nothing better is known: a checkpoint of a small supernet, its log and
 * metrics, and room for SQLite's write-ahead log. */
export const RUN_START_MARGIN_BYTES = 8 * 2 ** 20;

/** Bytes an unprivileged process may still write on the disk holding `path` (the nearest existing folder);
 * null where the system cannot say. */
export function freeBytes(path: string): number | null {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  try {
    const s = statfsSync(p);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MB`;
  return `${Math.max(0, Math.ceil(n / 2 ** 10))} KB`;
}

/** Too little space to do `what` safely; `code` is ENOSPC so storage-fault handling treats it as a full disk. */
export class NotEnoughSpaceError extends Error {
  readonly code = 'ENOSPC';
  constructor(
    readonly folder: string,
    readonly needed: number,
    readonly free: number,
    what: string,
  ) {
    super(
      `Not enough free space to ${what}: ${formatBytes(free)} free on the disk holding ${folder}, about ${formatBytes(needed)} needed. ` +
        'Free some space on that disk (or move the data folder to a larger one), then try again.',
    );
  }
}

/** Throws NotEnoughSpaceError when the disk holding `folder` has less than `needed` bytes free. */
export function requireFreeSpace(folder: string, needed: number, what: string): void {
  const free = freeBytes(folder);
  if (free !== null && free < needed) throw new NotEnoughSpaceError(folder, needed, free, what);
}
