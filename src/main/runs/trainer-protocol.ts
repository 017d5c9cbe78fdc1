import type { TrainerMessage } from '../trainer/trainer';
import type { JobExit, JobHandlers } from './execution-backend';

/**
 * The parent side of the trainer's message protocol, shared by the Node child-process and the Electron
 * utility-process backends: events are forwarded, the 'done' message sets the exit, and a process that
 * dies without one is described from its exit code, signal and last stderr line.
 */
export function trainerProtocol(handlers: JobHandlers) {
  let exit: JobExit | null = null;
  let stderrTail = '';
  return {
    onMessage(m: TrainerMessage) {
      if (m.type === 'event') handlers.onEvent(m.event);
      else if (m.type === 'done') exit = { status: m.status, error: m.error, hint: m.hint };
    },
    onStderr(chunk: Buffer | string) {
      stderrTail = (stderrTail + chunk.toString()).slice(-4000);
    },
    onStartError(err: Error) {
      exit ??= { status: 'failed', error: `Could not start the trainer process: ${err.message}` };
    },
    onExit(code: number | null, signal: string | null) {
      handlers.onExit(exit ?? crashExit(code, signal, stderrTail));
    },
  };
}

export function crashExit(code: number | null, signal: string | null, stderr: string): JobExit {
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
