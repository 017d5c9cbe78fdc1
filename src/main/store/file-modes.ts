import { chmodSync, statSync } from 'node:fs';

// The history (configs, dataset paths, results) and the lock are the user's alone: folders 0700, files 0600.
export const OWNER_ONLY_DIR = 0o700;
export const OWNER_ONLY_FILE = 0o600;

/**
 * Tightens an existing file or folder to `mode` (best effort). A missing path is fine (nothing to protect
 * yet); a path we may not chmod (another user's, a read-only disk) is left as it is, since refusing to start
 * over permissions we cannot change would help nobody. On Windows chmod only toggles read-only: skipped.
 */
export function restrictToOwner(path: string, mode: number): void {
  if (process.platform === 'win32') return;
  try {
    if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
  } catch {
    /* missing, or not ours to change */
  }
}
