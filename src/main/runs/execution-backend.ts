import type { TrainerEvent } from '../../shared/events';
import type { SearchJob } from '../nas/job';

// The seam for running jobs elsewhere (ARCHITECTURE §7): the run manager starts, controls and observes a
// job only through this interface. The first implementation is a local child process.

export interface JobExit {
  status: 'completed' | 'paused' | 'stopped' | 'failed';
  /** Why it failed, in words a user can act on. */
  error?: string;
  hint?: string | null;
}

export interface JobHandlers {
  onEvent(event: TrainerEvent): void;
  onExit(exit: JobExit): void;
}

export interface JobHandle {
  readonly pid: number | undefined;
  /** Checkpoint at the current step, then exit with status 'paused'. */
  pause(): void;
  /** Stop after the current step without a checkpoint. */
  stop(): void;
  /** Kill at once (cancel of a stuck job). */
  kill(): void;
}

export interface ExecutionBackend {
  start(job: SearchJob, handlers: JobHandlers): JobHandle;
}
