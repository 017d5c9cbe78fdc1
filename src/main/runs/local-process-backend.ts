import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { SearchJob } from '../nas/job';
import type { TrainerMessage, TrainerRequest } from '../trainer/trainer';
import type { ExecutionBackend, JobExit, JobHandle, JobHandlers } from './execution-backend';

/** Runs each job in its own Node process (`out/main/trainer.js`), so a crash or OOM kills only that run. */
export class LocalProcessBackend implements ExecutionBackend {
  constructor(private readonly trainerScript: string) {}

  start(job: SearchJob, handlers: JobHandlers): JobHandle {
    if (!existsSync(this.trainerScript)) {
      throw new Error(`The trainer program is missing (${this.trainerScript}). Run 'npm run build' and try again.`);
    }
    const child: ChildProcess = fork(this.trainerScript, [], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      // The wasm heap and the dataset live in this process; give V8 room for large datasets.
      execArgv: ['--max-old-space-size=4096'],
    });
    let stderrTail = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderrTail = (stderrTail + d.toString()).slice(-4000);
    });
    let exit: JobExit | null = null;
    child.on('message', (m: TrainerMessage) => {
      if (m.type === 'event') handlers.onEvent(m.event);
      else if (m.type === 'done') exit = { status: m.status, error: m.error, hint: m.hint };
    });
    child.on('error', (err) => {
      exit ??= { status: 'failed', error: `Could not start the trainer process: ${err.message}` };
    });
    child.on('exit', (code, signal) => {
      handlers.onExit(exit ?? crashExit(code, signal, stderrTail));
    });
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

function crashExit(code: number | null, signal: NodeJS.Signals | null, stderr: string): JobExit {
  const lastLine = stderr.trim().split('\n').filter(Boolean).pop();
  if (signal === 'SIGKILL' || code === 137) {
    return {
      status: 'failed',
      error: 'The training process was killed (SIGKILL), e.g. by the system when memory ran out or by a user.',
      hint: 'Resume continues from the last checkpoint. If memory ran out, lower the batch size or the channel count.',
    };
  }
  if (/heap out of memory|allocation failed/i.test(stderr)) {
    return { status: 'failed', error: 'The training process ran out of memory.', hint: 'Lower the batch size or the channel count C, then resume.' };
  }
  return {
    status: 'failed',
    error: `The training process stopped unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})${lastLine ? `: ${lastLine}` : ''}.`,
    hint: 'Resume continues from the last checkpoint.',
  };
}
