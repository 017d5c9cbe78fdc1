// `npm run serve [-- --port N --data-dir DIR --new-token]`: build the app if needed, then start the headless
// server and stay in front of it until it exits.
import { existsSync } from 'node:fs';
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const server = `${root}out/main/server.js`;
if (!existsSync(server) || !existsSync(`${root}out/renderer/index.html`)) {
  console.log('Building NAS Studio (first start)…');
  const b = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

// The server runs in its own process group (detached), so Ctrl+C in a terminal, which signals the whole
// foreground group, reaches only this wrapper, and each press is passed on exactly once: one press pauses the
// running search at a checkpoint, a second stops at once. The same holds for `kill -INT <wrapper pid>`.
// (Relying on the server getting the terminal's signal itself and forwarding only what it missed depended on
// a timing guess, and a busy server turned one press into two.) The IPC channel carries the server's own
// signal reports, which the wrapper does not need any more.
const child = spawn(process.execPath, [server, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: true });
child.on('message', () => {});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
// If this wrapper goes, the server goes too (a detached child would otherwise outlive it unnoticed).
process.on('exit', () => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});

// The server's exit code; 1 when it was killed by a signal (a crash is never a success).
child.on('exit', (code, signal) => {
  if (signal) console.error(`nas-studio serve: the server was killed (${signal}).`);
  process.exit(signal ? 1 : (code ?? 1));
});
