// Storage faults: the errors that mean "the disk cannot take our writes right now" (full, read-only, failing),
// as opposed to bugs or bad data. A run hit by one is paused, never failed: nothing about the run is wrong,
// and everything it reported is kept until it can be written.

const SQLITE_CODES = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN)/;
const ERRNO_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EACCES', 'EPERM']);

export function isStorageFault(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return SQLITE_CODES.test(code) || ERRNO_CODES.has(code);
}

export interface StorageFaultText {
  /** What went wrong, naming the folder. */
  reason: string;
  /** What the user does about the disk. */
  action: string;
  /** The action, then what happens to the run: the whole advice. */
  fix: string;
}

const AFTER =
  'NAS Studio keeps what the run reported and saves it by itself once the disk takes writes again; then resume the run, and it continues from its last checkpoint.';

/** The reason and the fix for a storage fault, in words a user can act on. `what` names what was not saved. */
export function describeStorageFault(err: unknown, dataDir: string, what = "the run's results"): StorageFaultText {
  const code = String((err as { code?: unknown })?.code ?? '');
  let reason: string;
  let action: string;
  if (/^SQLITE_FULL$|^ENOSPC$|^EDQUOT$/.test(code)) {
    reason = `The disk holding ${dataDir} is full, so ${what} could not be saved.`;
    action = 'Free some space on that disk.';
  } else if (/^SQLITE_READONLY|^EROFS$|^EACCES$|^EPERM$/.test(code)) {
    reason = `The data folder ${dataDir} cannot be written (read-only or no permission), so ${what} could not be saved.`;
    action = 'Make the folder writable for this user again (check the disk is mounted read-write).';
  } else {
    reason = `Reading or writing ${dataDir} failed (${code || 'I/O error'}: ${(err as Error)?.message ?? err}), so ${what} could not be saved.`;
    action = 'Check the disk (it may be failing or disconnected).';
  }
  return { reason, action, fix: `${action} ${AFTER}` };
}
