import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { SearchJob } from '../nas/job';
import type { TrainerRequest } from '../trainer/trainer';
import type { ExecutionBackend, JobHandle, JobHandlers } from './execution-backend';
import { trainerProtocol } from './trainer-protocol';

/** Runs each job in its own Node process (`out/main/trainer.js`), so a crash or OOM kills only that run. */
export class LocalProcessBackend implements ExecutionBackend {
  constructor(private readonly trainerScript: string) {}

  start(job: SearchJob, handlers: JobHandlers): JobHandle {
    if (!existsSync(this.trainerScript)) {
      throw new Error(`The trainer program is missing (${this.trainerScript}). Run 'npm run build' and try again.`);
    }
    const protocol = trainerProtocol(handlers);
    const child = fork(this.trainerScript, [], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      // Its own process group: Ctrl+C in the terminal reaches the server, which pauses the run at a
      // checkpoint, instead of killing the trainer mid-step. If the server dies, the IPC channel closes and
      // the trainer exits on 'disconnect'.
      detached: true,
      // The dataset lives in this process as well as the wasm heap; give V8 room for large datasets.
      // No wasm/GC flags: --no-liftoff & co. measured within ±4% CPU per step (kernels/README-perf.md, "Runtime flags").
      execArgv: ['--max-old-space-size=4096'],
    });
    child.stderr?.on('data', (d: Buffer) => {
      protocol.onStderr(d);
      process.stderr.write(d);
    });
    child.on('message', protocol.onMessage);
    child.on('error', protocol.onStartError);
    child.on('exit', protocol.onExit);
    const send = (m: TrainerRequest) => {
      if (child.connected) child.send(m);
    };
    send({ type: 'start', job });
    return {
      pid: child.pid,
      pause: () => send({ type: 'pause' }),
      stop: () => send({ type: 'stop' }),
      kill: () => child.kill('SIGKILL'),
    };
  }
}
