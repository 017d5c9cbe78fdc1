import { homedir } from 'node:os';
import { join } from 'node:path';

/** The per-user data folder Electron would use (app.getPath('userData')), for the headless server and CLI. */
export function defaultDataDir(): string {
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'NAS Studio');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'NAS Studio');
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'NAS Studio');
}
