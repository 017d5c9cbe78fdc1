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

// The IPC channel carries one message per signal the server received (see server.ts, shutdown).
const child = spawn(process.execPath, [server, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });

// Ctrl+C in a terminal sends SIGINT to the whole foreground process group: the server gets it directly, and
// forwarding ours too would make one press look like two (the second stops at once, without a checkpoint).
// So each signal is passed on only when the server has not reported receiving it itself shortly after,
// as when someone signals this wrapper's pid alone (`kill -INT <pid>`, a process manager).
const FORWARD_AFTER_MS = 300;
const received = { SIGINT: 0, SIGTERM: 0 };
const seenByServer = { SIGINT: 0, SIGTERM: 0 };
child.on('message', (m) => {
  if (m && m.nasServe === 'signal' && m.signal in seenByServer) seenByServer[m.signal]++;
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    const nth = ++received[signal];
    setTimeout(() => {
      if (seenByServer[signal] >= nth || child.exitCode !== null || child.signalCode !== null) return;
      seenByServer[signal]++; // counted as delivered, so a later press is not sent twice
      child.kill(signal);
    }, FORWARD_AFTER_MS).unref();
  });
}

// The server's exit code; 1 when it was killed by a signal (a crash is never a success).
child.on('exit', (code, signal) => {
  if (signal) console.error(`nas-studio serve: the server was killed (${signal}).`);
  process.exit(signal ? 1 : (code ?? 1));
});
