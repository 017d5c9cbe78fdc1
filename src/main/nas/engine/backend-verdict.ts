import type { BackendName, BackendReport, BackendVerdict } from '../../../shared/backends';

// What `auto` resolves to, from the probe's reports: the fastest measured backend among those that load and
// may be picked (never cpu, never a software GPU adapter). Without any timing, the first that loads in
// today's fixed order.

export const FALLBACK_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms/step`;

export function chooseBackend(reports: readonly BackendReport[]): { chosen: BackendName; why: string } {
  const timed = reports.filter((r) => r.loads && r.eligibleForAuto && r.probeStepMs !== null).sort((a, b) => a.probeStepMs! - b.probeStepMs!);
  const excluded = reports.filter((r) => r.loads && !r.eligibleForAuto).map((r) => `${r.name} (${r.adapter?.isFallbackAdapter ? 'software adapter' : 'too slow'})`);
  const notLoading = reports.filter((r) => !r.loads).map((r) => r.name);
  const tail = [
    notLoading.length ? `${notLoading.join(', ')} ${notLoading.length === 1 ? 'does' : 'do'} not load` : '',
    excluded.length ? `never picked: ${excluded.join(', ')}` : '',
  ].filter(Boolean);
  const rest = tail.length ? `; ${tail.join('; ')}` : '';
  if (timed.length) {
    const best = timed[0]!;
    const lead = timed.length === 1 ? `the only backend that loads and may be picked (${ms(best.probeStepMs!)})` : `fastest of the backends that load: ${timed.map((r) => `${r.name} ${ms(r.probeStepMs!)}`).join(', ')}`;
    return { chosen: best.name, why: `${best.name}: ${lead}${rest}.` };
  }
  const byOrder = FALLBACK_ORDER.map((n) => reports.find((r) => r.name === n)).find((r) => r?.loads && (r.eligibleForAuto || r.name === 'cpu'));
  const chosen = byOrder?.name ?? 'cpu';
  return { chosen, why: `${chosen}: the first that loads in the fixed order tensorflow, webgpu, wasm, cpu (no probe timing)${rest}.` };
}

export function makeVerdict(fingerprint: string, reports: BackendReport[], now = new Date()): BackendVerdict {
  return { fingerprint, measuredAt: now.toISOString(), ...chooseBackend(reports), backends: reports };
}
