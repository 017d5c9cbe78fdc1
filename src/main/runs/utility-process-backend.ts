import { utilityProcess } from 'electron';
import { existsSync } from 'node:fs';
import type { SearchJob } from '../nas/job';
import type { TrainerRequest } from '../trainer/trainer';
import type { ExecutionBackend, JobHandle, JobHandlers } from './execution-backend';
import { trainerProtocol } from './trainer-protocol';

/** Under Electron: each job in a utility process (Chromium's process model, no second Node binary). */
export class UtilityProcessBackend implements ExecutionBackend {
  constructor(private readonly trainerScript: string) {}

  start(job: SearchJob, handlers: JobHandlers): JobHandle {
    if (!existsSync(this.trainerScript)) throw new Error(`The trainer program is missing (${this.trainerScript}). Reinstall NAS Studio.`);
    const protocol = trainerProtocol(handlers);
    const child = utilityProcess.fork(this.trainerScript, [], { stdio: 'pipe', serviceName: 'NAS Studio trainer' });
    child.stderr?.on('data', (d: Buffer) => protocol.onStderr(d));
    child.on('message', protocol.onMessage);
    let killed = false;
    child.on('exit', (code) => protocol.onExit(code, killed ? 'SIGKILL' : null));
    const send = (m: TrainerRequest) => child.postMessage(m);
    send({ type: 'start', job });
    return {
      get pid() {
        return child.pid;
      },
      pause: () => send({ type: 'pause' }),
      stop: () => send({ type: 'stop' }),
      kill: () => {
        killed = true;
        child.kill();
      },
    };
  }
}
