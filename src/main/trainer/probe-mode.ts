import type { BackendName, BackendReport } from '../../shared/backends';
import type { SearchConfig } from '../../shared/config';
import { loadForProbe } from '../nas/engine/backend-probe';
import { probeConfig, timeReferenceStep, type ConfigProbe } from '../nas/estimation/step-probe';

// The trainer program's probe mode: instead of a job, the parent sends one probe request; this process loads
// the one backend it names (tfjs backends are process-wide, so every backend is probed in a process of its
// own, and the server never loads one), measures, answers once and exits.

export type ProbeRequest =
  /** The backend doctor: does `backend` load, on what, and how fast is the reference supernet's step. */
  | { kind: 'backend'; backend: BackendName; steps: number }
  /** The New-run pre-flight: the run's own supernet's memory estimate and step time on `backend`. */
  | { kind: 'config'; backend: BackendName; config: SearchConfig; inputShape: [number, number, number]; classes: number; steps: number };

export type ProbeReply =
  | { kind: 'backend'; report: BackendReport }
  | { kind: 'config'; backend: BackendName; device: string; probe: ConfigProbe }
  | { kind: 'error'; message: string; hint: string | null };

/** Backends timed for `auto`: never the plain-JS cpu backend (minutes per step) nor a software GPU adapter. */
function worthTiming(report: Omit<BackendReport, 'probeStepMs'>): boolean {
  return report.loads && report.eligibleForAuto;
}

export async function runProbe(request: ProbeRequest): Promise<ProbeReply> {
  try {
    const loaded = await loadForProbe(request.backend);
    if (request.kind === 'backend') {
      const probeStepMs = worthTiming(loaded) ? await timeReferenceStep(request.steps) : null;
      return { kind: 'backend', report: { ...loaded, probeStepMs } };
    }
    if (!loaded.loads || !loaded.device) {
      return { kind: 'error', message: `The ${request.backend} backend does not load on this machine: ${loaded.reason ?? 'no reason given'}`, hint: loaded.fix };
    }
    const probe = await probeConfig(request.config, request.inputShape, request.classes, loaded.memoryLimitBytes, request.steps);
    return { kind: 'config', backend: request.backend, device: loaded.device, probe };
  } catch (e) {
    return { kind: 'error', message: `The ${request.backend} probe failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`, hint: null };
  }
}
