// `npm start`: the desktop app under Electron when its binary is installed; otherwise explain the
// headless mode, which serves the same UI to any browser.
import { existsSync, readFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
let electronBinary = null;
try {
  const dir = require.resolve('electron/package.json').replace(/package\.json$/, '');
  if (existsSync(`${dir}path.txt`)) {
    const bin = `${dir}dist/${readFileSync(`${dir}path.txt`, 'utf8').trim()}`;
    if (existsSync(bin)) electronBinary = bin;
  }
} catch {
  /* electron not installed */
}
if (!electronBinary) {
  console.error(
    'The Electron binary is not installed on this machine (it is downloaded during `npm install` unless\n' +
      'ELECTRON_SKIP_BINARY_DOWNLOAD is set or there is no internet).\n\n' +
      'Use the headless mode instead; it serves the same app to your browser:\n\n' +
      '    npm run serve\n\n' +
      'then open the printed URL (it carries the access token). To get the desktop window, run\n' +
      '`npm install` on a machine with internet access.',
  );
  process.exit(1);
}
if (!existsSync(`${root}out/main/index.js`)) {
  const b = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const child = spawn(electronBinary, [root], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
