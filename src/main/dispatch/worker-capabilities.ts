import { cpus, hostname, totalmem } from 'node:os';
import { DISPATCH_PROTOCOL_VERSION, type WorkerCapabilities } from '../../shared/dispatch';

/** What this machine offers, in the liveness key. `backends`/`gpu` come from the caller when it probed them
 * (loading a native backend in the worker process itself would cost it memory for nothing: runs train in the
 * trainer process). */
export function workerCapabilities(appVersion: string, probed: { backends?: string[]; gpu?: string | null } = {}): WorkerCapabilities {
  return {
    appVersion,
    protocol: DISPATCH_PROTOCOL_VERSION,
    backends: probed.backends ?? ['wasm'],
    gpu: probed.gpu ?? null,
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memoryBytes: totalmem(),
    hostname: hostname(),
  };
}

/** Why this worker will not run a job of another version, in words; null when it will. */
export function versionProblem(job: { protocol: number; appVersion: string }, mine: { protocol: number; appVersion: string }, worker: string): string | null {
  if (job.protocol === mine.protocol && job.appVersion === mine.appVersion) return null;
  return (
    `Worker ${worker} runs NAS Studio ${mine.appVersion} (dispatch protocol ${mine.protocol}) but the coordinator sent a job of ` +
    `NAS Studio ${job.appVersion} (protocol ${job.protocol}). Install the same NAS Studio version on the coordinator and its workers, then resume the run.`
  );
}
