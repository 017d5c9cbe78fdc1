import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ProbeReply, ProbeRequest } from '../trainer/probe-mode';

// Runs one probe in a fresh trainer process (the trainer program's probe mode): the server and the CLI never
// load a tfjs backend themselves, and a backend that crashes its process (a native driver fault) takes only
// the probe down. The process is killed when it overruns or when the caller cancels it.

export interface ProbeRun {
  reply: Promise<ProbeReply>;
  /** Kills the process; `reply` then rejects with ProbeCancelledError. */
  cancel(): void;
}

export class ProbeCancelledError extends Error {
  constructor() {
    super('The probe was cancelled (a newer request replaced it).');
  }
}

export function runProbeProcess(trainerScript: string, request: ProbeRequest, timeoutMs: number): ProbeRun {
  if (!existsSync(trainerScript)) {
    return { reply: Promise.reject(new Error(`The trainer program is missing (${trainerScript}). Run 'npm run build' and try again.`)), cancel: () => {} };
  }
  const child = fork(trainerScript, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: ['--max-old-space-size=4096'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let cancelled = false;
  const reply = new Promise<ProbeReply>((resolve, reject) => {
    let answered = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      if (!answered) resolve({ kind: 'error', message: `The ${request.backend} probe did not finish within ${Math.round(timeoutMs / 1000)} s, so it was stopped.`, hint: null });
      answered = true;
    }, timeoutMs);
    timer.unref();
    child.on('message', (m: { type?: string; reply?: ProbeReply }) => {
      if (m?.type !== 'probe-result' || !m.reply || answered) return;
      answered = true;
      clearTimeout(timer);
      resolve(m.reply);
    });
    child.on('error', (e) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (answered) return;
      answered = true;
      if (cancelled) return reject(new ProbeCancelledError());
      const last = stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
      resolve({
        kind: 'error',
        message: `The ${request.backend} probe process ended without an answer (${signal ?? `exit code ${code}`})${last ? `: ${last.slice(0, 300)}` : ''}.`,
        hint: null,
      });
    });
  });
  child.send({ type: 'probe', request });
  return {
    reply,
    cancel: () => {
      cancelled = true;
      child.kill('SIGKILL');
    },
  };
}
