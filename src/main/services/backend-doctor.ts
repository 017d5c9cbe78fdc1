import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_NAMES, BackendVerdictSchema, type BackendName, type BackendReport, type BackendVerdict } from '../../shared/backends';
import type { AutoVerdict } from '../nas/engine/backend';
import { makeVerdict } from '../nas/engine/backend-verdict';
import { machineFingerprint } from '../nas/engine/machine-fingerprint';
import type { ExecutionBackend } from '../runs/execution-backend';
import type { ProbeReply, ProbeRequest } from '../trainer/probe-mode';
import { runProbeProcess, type ProbeRun } from './probe-process';

// The backend doctor: probes every backend (each in a trainer process of its own), keeps the verdict of what
// `auto` means in the data folder keyed by the machine's fingerprint, and serialises every probe process so
// that two never time each other. Used by the app (Diagnostics page, New-run pre-flight, run start) and by
// `nas-studio doctor`.

export const VERDICT_FILE = 'backend-verdict.json';

export interface BackendDoctorOptions {
  /** Where the verdict is cached; null = not cached (the CLI with nowhere to write). */
  dataDir: string | null;
  /** The trainer program (out/main/trainer.js), run in probe mode. */
  trainerScript: string;
  appVersion: string;
  /** Timed steps of the reference supernet per backend (after one warm-up step). */
  steps?: number;
  /** Per probe process. */
  timeoutMs?: number;
  warn?: (line: string) => void;
}

export class BackendDoctor {
  private queue: Promise<unknown> = Promise.resolve();
  private probing: Promise<BackendVerdict> | null = null;
  private warnedUnwritable = false;

  constructor(private readonly o: BackendDoctorOptions) {}

  get trainerScript(): string {
    return this.o.trainerScript;
  }

  private get file(): string | null {
    return this.o.dataDir ? join(this.o.dataDir, VERDICT_FILE) : null;
  }

  /** The cached verdict when it was measured on this machine as it is now (same fingerprint); else null. */
  cached(): BackendVerdict | null {
    if (!this.file) return null;
    try {
      const parsed = BackendVerdictSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      return parsed.success && parsed.data.fingerprint === machineFingerprint(this.o.appVersion) ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /** What `auto` means for a run starting now; null until a probe has measured this machine (the fixed order then applies). */
  autoChoice(): AutoVerdict | null {
    const v = this.cached();
    return v ? { chosen: v.chosen, why: v.why } : null;
  }

  /**
   * Why a run with this backend choice cannot start here, in the app's words (never a command-line flag): an
   * explicit backend the kept verdict says does not load. Null when it can, or when nothing is known yet.
   */
  unloadable(choice: string): { message: string; hint: string } | null {
    if (choice === 'auto') return null;
    const r = this.cached()?.backends.find((b) => b.name === choice);
    if (!r || r.loads) return null;
    return {
      message: `The ${choice} backend does not load on this machine: ${r.reason ?? 'it failed to start'}`,
      hint: `${r.fix ? `${r.fix} ` : ''}Or choose auto (or another backend that loads) under Budget; Diagnostics lists them all.`,
    };
  }

  /** The cached verdict, or a fresh probe (always with `probe: true`); concurrent callers share one probe. */
  verdict(options: { probe?: boolean } = {}): Promise<BackendVerdict> {
    if (!options.probe) {
      const cached = this.cached();
      if (cached) return Promise.resolve(cached);
    }
    if (!this.probing) {
      this.probing = this.probeAll().finally(() => (this.probing = null));
    }
    return this.probing;
  }

  /** Runs `request` in a trainer process once every earlier probe has finished. */
  exclusive(request: ProbeRequest, onStart?: (run: ProbeRun) => void): Promise<ProbeReply> {
    const next = this.queue.then(() => {
      const run = runProbeProcess(this.o.trainerScript, request, this.o.timeoutMs ?? 120_000);
      onStart?.(run);
      return run.reply;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async probeAll(): Promise<BackendVerdict> {
    const reports: BackendReport[] = [];
    for (const name of BACKEND_NAMES) reports.push(await this.probeOne(name));
    const verdict = makeVerdict(machineFingerprint(this.o.appVersion), reports);
    this.save(verdict);
    return verdict;
  }

  private async probeOne(name: BackendName): Promise<BackendReport> {
    let reply: ProbeReply;
    try {
      reply = await this.exclusive({ kind: 'backend', backend: name, steps: this.o.steps ?? 2 });
    } catch (e) {
      reply = { kind: 'error', message: (e as Error).message, hint: null };
    }
    if (reply.kind === 'backend') return reply.report;
    const message = reply.kind === 'error' ? reply.message : 'unexpected answer';
    return { name, loads: false, device: null, adapter: null, reason: message, fix: reply.kind === 'error' ? reply.hint : null, eligibleForAuto: false, probeStepMs: null, memoryLimitBytes: null };
  }

  private save(verdict: BackendVerdict): void {
    if (!this.file || !this.o.dataDir) return;
    try {
      mkdirSync(this.o.dataDir, { recursive: true });
      // Written whole, then renamed: a reader never sees half a file.
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(verdict, null, 2)}\n`);
      renameSync(tmp, this.file);
    } catch (e) {
      if (!this.warnedUnwritable) {
        this.warnedUnwritable = true;
        this.o.warn?.(`The backend verdict could not be saved in ${this.o.dataDir} (${(e as Error).message}); the next auto run probes again.`);
      }
    }
  }
}

/** Runs start with the probe's verdict for `auto` (read when each run starts, so a new probe applies to the next run). */
export function withAutoVerdict(backend: ExecutionBackend, doctor: BackendDoctor): ExecutionBackend {
  return {
    start: (job, handlers) => backend.start(job.config.backend === 'auto' ? { ...job, autoBackend: doctor.autoChoice() } : job, handlers),
  };
}
