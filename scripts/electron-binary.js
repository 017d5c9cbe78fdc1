// The installed Electron executable, or null. Checked without `require('electron')`, which (from Electron 42
// on) tries to download the binary when it is missing: here that fails on a machine without internet.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export function findElectronBinary() {
  try {
    const dir = createRequire(import.meta.url).resolve('electron/package.json').replace(/package\.json$/, '');
    if (!existsSync(`${dir}path.txt`)) return null;
    const bin = `${dir}dist/${readFileSync(`${dir}path.txt`, 'utf8').trim()}`;
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}
