// `npm start`: the desktop app under Electron when its binary is installed; otherwise explain the
// headless mode, which serves the same UI to any browser.
import { existsSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electron-binary.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const electronBinary = findElectronBinary();
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
