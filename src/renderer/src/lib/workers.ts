import type { WorkerCapabilities, WorkerInfo } from '../../../shared/dispatch';

// Words for the lab's machines: a worker's capabilities, when it was last seen, and where a run trains or
// trained. Plain functions on plain data, so they are tested without a page.

/** "15.6 GiB" from bytes. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** One line a person reads: backends, then the GPU (or that there is none), then CPU cores and memory. */
export function capabilityLine(c: WorkerCapabilities): string {
  const backends = c.backends.length ? c.backends.join(', ') : 'no backend';
  return `${backends} · ${c.gpu ?? 'no GPU'} · ${c.cores} cores · ${formatBytes(c.memoryBytes)}`;
}

/** "just now", "12 s ago", "3 min ago", "2 h ago", else the date; an unreadable time is shown as it came. */
export function lastSeenText(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleString();
}

export const WORKER_STATE_TEXT: Record<WorkerInfo['state'], string> = {
  idle: 'idle',
  busy: 'training',
  offline: 'offline',
  refused: 'refused',
  revoked: 'revoked',
};

/** The New-run form's "where" choice and the runs list: 'local' and 'any' in words, a worker by its name. */
export function whereText(where: string | null | undefined): string {
  if (!where || where === 'local') return 'this machine';
  if (where === 'any') return 'any worker';
  return where;
}

/** The runs list's "Where" cell: the machine it ran on once known, else where it was sent. */
export function ranOnText(run: { where?: string | null; ranOn?: string | null }): string {
  if (run.ranOn) return run.ranOn === 'local' ? 'this machine' : run.ranOn;
  return whereText(run.where);
}

/** The outcome cell of a run's open attempt: a worker trains it, or it waits for one (all busy, or the named
 * worker died and the run waits for it to come back). */
export function openAttemptText(status: string, where: string | null | undefined): string {
  if (status !== 'queued') return 'training';
  return `waiting for ${where === 'any' ? 'a free worker' : whereText(where)}`;
}

/** Why the New-run form cannot send a run elsewhere; null when it can. */
export function whereUnavailableReason(role: 'standalone' | 'coordinator' | 'worker' | null): string | null {
  if (role === 'coordinator') return null;
  if (role === 'worker') return 'This app works for a lab, so its runs train here; runs go to workers from the lab’s coordinator.';
  return 'Runs train on this machine. To send them to other machines, turn on “Let other machines help” in Settings.';
}
