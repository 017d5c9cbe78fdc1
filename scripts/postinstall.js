// Rebuild native addons (better-sqlite3) against Electron's ABI, but only where the Electron binary exists.
// Where it cannot be downloaded (CI, offline labs, ELECTRON_SKIP_BINARY_DOWNLOAD=1) a "rebuild" would compile
// against Node's headers and falsely mark the addon as built for Electron, so we skip it and keep the Node build,
// which the headless server, the CLI and the tests use.
import { spawnSync } from 'node:child_process';
import { findElectronBinary } from './electron-binary.js';
if (process.env.CI || process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  console.log('[nas-studio] postinstall: Electron binary not in use here; native addons stay built for Node.');
  process.exit(0);
}
const electronPath = findElectronBinary();
if (!electronPath) {
  console.log('[nas-studio] postinstall: no Electron binary; skipping the Electron rebuild of native addons.');
  process.exit(0);
}
const r = spawnSync('npx', ['electron-builder', 'install-app-deps'], { stdio: 'inherit' });
if (r.status !== 0) console.warn('[nas-studio] postinstall: Electron rebuild failed; the headless mode still works.');
