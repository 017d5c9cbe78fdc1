import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { OWNER_ONLY_DIR, restrictToOwner } from './store/file-modes';
import { StorageNotWritableError, errnoReason } from './store/storage-errors';

/** The per-user data folder Electron would use (app.getPath('userData')), for the headless server and CLI. */
export function defaultDataDir(): string {
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'NAS Studio');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'NAS Studio');
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'NAS Studio');
}

/**
 * The data folder a command-line entry (server, CLI) uses, absolute: `--data-dir`, else $NAS_STUDIO_DATA
 * (an empty variable counts as unset), else the per-user folder.
 */
export function resolveDataDir(given: string | undefined): string {
  return resolve(given ?? (process.env.NAS_STUDIO_DATA || defaultDataDir()));
}

/**
 * Creates the data folder owner-only (0700), or tightens an existing one: it holds the run history, the
 * server's token and dataset copies. A folder that cannot be created is named with the reason and the fix.
 */
export function prepareDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR });
  } catch (err) {
    throw new StorageNotWritableError(dir, 'data folder', errnoReason(err));
  }
  restrictToOwner(dir, OWNER_ONLY_DIR);
}
