import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from './cli-config';
import { prepareDataDir, resolveDataDir } from './data-dir';
import type { LabNetworkOptions } from './dispatch/lab-coordinator';
import { defaultWorkerName, startLabWorker } from './dispatch/lab-worker';
import { startServer } from './server';
import { OWNER_ONLY_FILE, restrictToOwner } from './store/file-modes';
import { APP_VERSION } from './version';

// `nas-studio serve [--coordinator [--redis URL]]` and `nas-studio worker --join CODE | --redis URL --name NAME`:
// the lab from the command line (issue 13 items 2 and 5). The coordinator is the headless server with
// "Let other machines help" switched on; the worker runs the dispatch worker loop until Ctrl+C.

const cliError = (message: string, hint: string | null = null) => Object.assign(new CliError(message), { hint });

/** The built program folder (out/main), where trainer.js and ../renderer are, whichever chunk this code is in. */
function builtDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 3 && !existsSync(join(dir, 'trainer.js')); i++) dir = dirname(dir);
  if (!existsSync(join(dir, 'trainer.js'))) throw cliError("The trainer program is not built: run 'npm run build' in the NAS Studio folder first.");
  return dir;
}

function portArg(flag: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${flag} must be 0–65535; got '${value}'.`);
    return n;
  };
}

/** Resolves once SIGINT or SIGTERM arrives (then the caller shuts down); a second one exits at once. */
function untilSignal(onSecond: string): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const handler = (signal: NodeJS.Signals) => {
      if (seen) {
        process.stderr.write(`${onSecond}\n`);
        process.exit(1);
      }
      seen = true;
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

interface ServeOpts {
  port: number;
  host: string;
  dataDir?: string;
  newToken?: boolean;
  coordinator?: boolean;
  redis?: string;
  bind?: string;
  advertise?: string;
  redisPort?: number;
  filesPort?: number;
  tls: boolean;
}

async function serve(opts: ServeOpts): Promise<void> {
  if (opts.redis && !opts.coordinator) throw cliError('--redis is for a coordinator.', 'Add --coordinator: nas-studio serve --coordinator --redis redis://HOST:PORT.');
  const dataDir = resolveDataDir(opts.dataDir);
  const out = builtDir();
  const lab: LabNetworkOptions = { bind: opts.bind, advertiseHost: opts.advertise, redisPort: opts.redisPort, filesPort: opts.filesPort, tls: opts.tls ? 'auto' : 'off' };
  const running = await startServer({ port: opts.port, host: opts.host, dataDir, newToken: opts.newToken, rendererDir: join(out, '..', 'renderer'), trainerScript: join(out, 'trainer.js'), lab }).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'EADDRINUSE' ? cliError(`Port ${opts.port} is in use.`, 'Pass --port 0 for any free port, or another number.') : e;
  });
  process.stdout.write(`NAS Studio is serving ${dataDir}\nOpen ${running.url}\n`);
  if (opts.coordinator) {
    try {
      const status = await running.app.dispatch.startCoordinator({ redis: opts.redis });
      process.stdout.write(`Coordinating the lab: Redis ${status.redis}${opts.redis ? '' : ' (started here)'}\n`);
      if (status.problem) process.stdout.write(`Note: ${status.problem}\n`);
      if (status.joinCode) {
        showJoinCode(status.joinCode, dataDir);
        // Each code is one worker's Redis user: once a worker joined with it, the next one gets a fresh code.
        let shown = status.joinCode;
        const timer = setInterval(() => {
          void running.app.dispatch.status().then((s) => {
            if (s.joinCode && s.joinCode !== shown) showJoinCode((shown = s.joinCode), dataDir, true);
          }, () => undefined);
        }, 3000);
        timer.unref();
      } else {
        process.stdout.write(`Workers join with: nas-studio worker --redis ${status.redis} --name NAME (credentials in the URL or NAS_STUDIO_REDIS_USER / NAS_STUDIO_REDIS_PASSWORD)\n`);
      }
    } catch (e) {
      await running.close();
      throw e;
    }
  }
  await untilSignal('Stopping at once; a run resumes from its previous checkpoint.');
  const active = running.app.runs.activeRunId();
  process.stdout.write(active === null ? 'Shutting down…\n' : `Pausing run ${active} at the end of its current step (Ctrl+C again to stop at once)…\n`);
  await running.close();
}

/** The next worker's join code: on the terminal that asked for it, else (a service log, a redirect) in an owner-only file. */
function showJoinCode(code: string, dataDir: string, replaced = false): void {
  const after = replaced ? 'A worker joined with the last code. ' : '';
  if (process.stdout.isTTY) {
    // It is the next worker's password: shown where it was asked for, never in a log.
    process.stdout.write(`${after}Join code for the next worker (a secret: whoever has it can take runs):\n  ${code}\nOn the worker: NAS_STUDIO_JOIN_CODE=<code> nas-studio worker --name NAME   (or --join <code>)\n`);
    return;
  }
  const file = join(dataDir, 'redis', 'join-code');
  writeFileSync(file, `${code}\n`, { mode: OWNER_ONLY_FILE });
  restrictToOwner(file, OWNER_ONLY_FILE);
  process.stdout.write(`${after}Join code for the next worker written to ${file} (readable by you only). Copy it to the worker and run: NAS_STUDIO_JOIN_CODE=$(cat join-code) nas-studio worker --name NAME\n`);
}

interface WorkerOpts {
  join?: string;
  redis?: string;
  name?: string;
  dataDir?: string;
}

async function worker(opts: WorkerOpts): Promise<void> {
  const code = opts.join ?? (opts.redis ? undefined : process.env.NAS_STUDIO_JOIN_CODE || undefined);
  if (!code && !opts.redis) {
    throw cliError('A worker needs the lab to join.', 'Pass --join CODE (the coordinator prints it; or set NAS_STUDIO_JOIN_CODE), or --redis redis://HOST:PORT --name NAME.');
  }
  if (code && opts.redis) throw cliError('Give either --join or --redis, not both.', null);
  if (opts.redis && !opts.name) throw cliError('A worker joined by --redis needs a name.', `Add --name NAME (e.g. --name ${defaultWorkerName()}); the coordinator lists it, and runs can be sent to it by name.`);
  const dataDir = resolveDataDir(opts.dataDir);
  prepareDataDir(dataDir);
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const session = await startLabWorker({ dataDir, join: code, redisUrl: opts.redis, name: opts.name, appVersion: APP_VERSION, trainerScript: join(builtDir(), 'trainer.js'), log });
  process.stdout.write(`Worker ${session.name} joined the lab at ${session.redis}; waiting for runs (Ctrl+C to leave).\n`);
  await untilSignal('Leaving at once; the coordinator moves the run to another worker.');
  process.stdout.write('Leaving the lab…\n');
  await session.stop();
}

export function addDispatchCommands(program: Command): void {
  program
    .command('serve')
    .description('Serve the app on this machine (headless); with --coordinator, let other machines train its runs.')
    .option('--port <n>', 'port of the app (0 = any free port)', portArg('--port'), 5174)
    .option('--host <host>', 'interface the app listens on (keep 127.0.0.1 unless you know why)', '127.0.0.1')
    .option('--data-dir <dir>', 'data folder (default: $NAS_STUDIO_DATA or the per-user app data folder)')
    .option('--new-token', 'replace the access token; links and sessions with the old one stop working')
    .option('--coordinator', 'let other machines help: start Redis here (or use --redis) and print a join code for workers')
    .option('--redis <url>', "use the lab's own Redis (redis://HOST:PORT or rediss://; credentials in the URL or NAS_STUDIO_REDIS_USER / NAS_STUDIO_REDIS_PASSWORD)")
    .option('--bind <addr>', 'interface Redis and the file server listen on (default 0.0.0.0)')
    .option('--advertise <host>', "address workers reach this machine by (default: its first LAN address)")
    .option('--redis-port <n>', 'port of the Redis started here (default 6380)', portArg('--redis-port'))
    .option('--files-port <n>', 'port of the file server (default: any free port; workers learn it)', portArg('--files-port'))
    .addOption(new Option('--no-tls', 'plain TCP between the machines (a trusted lab network only)'))
    .action(async (opts: ServeOpts) => serve(opts));
  program
    .command('worker')
    .description("Train runs for a lab's coordinator until Ctrl+C.")
    .option('--join <code>', 'the join code the coordinator prints (or set NAS_STUDIO_JOIN_CODE)')
    .option('--redis <url>', "the lab's Redis (redis://HOST:PORT; credentials in the URL or NAS_STUDIO_REDIS_USER / NAS_STUDIO_REDIS_PASSWORD)")
    .option('--name <name>', 'name of this worker in the lab (default with --join: the host name)')
    .option('--data-dir <dir>', "folder for this worker's dataset cache and checkpoints (default: $NAS_STUDIO_DATA or the per-user folder)")
    .action(async (opts: WorkerOpts) => worker(opts));
}
