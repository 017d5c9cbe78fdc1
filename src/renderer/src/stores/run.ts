import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';
import type { LogLine, PushEvent, RunDetail, RunSummary } from '../../../shared/api';
import type { AlphaSnapshot, TrainerEvent } from '../../../shared/events';
import { api, onReconnect } from '../api';
import { isAlphaSnapshot } from '../lib/genotype';
import { useNotifyStore } from './notify';
import { createSearchHistory } from './search-history';

export type Point = [step: number, epoch: number, value: number];
export interface AlphaEntry {
  epoch: number;
  payload: AlphaSnapshot;
}
export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
}

/** Points fetched for the initial curves; the server downsamples longer series. */
const INITIAL_MAX_POINTS = 2000;
const FLUSH_MS = 250;
const MAX_LOG_LINES = 20_000;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Fraction done from a progress event; tolerates a global `step` as well as a step within the epoch. */
export function progressFraction(p: Progress): number {
  if (p.epochs <= 0) return 0;
  const spe = Math.max(1, p.stepsPerEpoch);
  const f = p.step > spe ? p.step / (p.epochs * spe) : (p.epoch + p.step / spe) / p.epochs;
  return Math.min(1, Math.max(0, f));
}

/**
 * The open run: detail, metric series, α snapshots, logs, progress. Loads with runs.get / runs.metrics /
 * runs.snapshots / runs.logs, then appends the live `run.event`s for that run and merges `run.updated`.
 */
export const useRunStore = defineStore('run', () => {
  const id = ref<number | null>(null);
  const detail = ref<RunDetail | null>(null);
  const loading = ref(false);
  const notFound = ref<string | null>(null);
  /** Metric series by name; mutated in place, `seriesVersion` bumps when they change. */
  const series = shallowRef<Record<string, Point[]>>({});
  const seriesVersion = ref(0);
  const alphas = shallowRef<AlphaEntry[]>([]);
  const logs = shallowRef<LogLine[]>([]);
  const progress = ref<Progress | null>(null);
  const history = createSearchHistory();
  /** (time, fraction) samples for the ETA. */
  const samples: { t: number; f: number }[] = [];
  const rate = ref<number | null>(null); // fraction per ms

  let subscribed = false;
  let buffering = false;
  let buffer: TrainerEvent[] = [];
  let dirty = false;
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  let refetchTimer: ReturnType<typeof setTimeout> | null = null;
  let loadToken = 0;

  const fraction = computed(() => {
    // A finished run is done even when it trained fewer epochs than planned (SGAS-es plans an upper bound).
    if (detail.value?.status === 'completed') return 1;
    if (progress.value) return progressFraction(progress.value);
    return detail.value?.progress ?? 0;
  });

  const etaMs = computed(() => {
    if (!detail.value || detail.value.status !== 'running' || rate.value === null || rate.value <= 0) return null;
    return (1 - fraction.value) / rate.value;
  });

  function scheduleFlush(): void {
    dirty = true;
    if (flushTimer) return;
    flushTimer = setTimeout(() => {
      flushTimer = null;
      if (!dirty) return;
      dirty = false;
      triggerRef(series);
      seriesVersion.value++;
      triggerRef(logs);
    }, FLUSH_MS);
  }

  function addPoints(step: number, epoch: number, values: Record<string, number>): void {
    const s = series.value;
    for (const [name, v] of Object.entries(values)) {
      const arr = (s[name] ??= []);
      const last = arr[arr.length - 1];
      if (last && last[0] > step) continue; // already have it (raced the initial fetch)
      if (last && last[0] === step) arr[arr.length - 1] = [step, epoch, v];
      else arr.push([step, epoch, v]);
    }
    scheduleFlush();
  }

  function addAlpha(epoch: number, payload: unknown): void {
    if (!isAlphaSnapshot(payload)) return;
    const list = alphas.value.filter((a) => a.epoch !== epoch);
    list.push({ epoch, payload });
    list.sort((a, b) => a.epoch - b.epoch);
    alphas.value = list;
  }

  function addLog(level: string, message: string, time = Date.now()): void {
    const arr = logs.value;
    arr.push({ time, level, message });
    if (arr.length > MAX_LOG_LINES) arr.splice(0, arr.length - MAX_LOG_LINES);
    scheduleFlush();
  }

  function recordProgress(p: Progress): void {
    progress.value = p;
    const now = Date.now();
    const f = progressFraction(p);
    const last = samples[samples.length - 1];
    if (last && f < last.f) samples.length = 0; // resumed from an earlier checkpoint
    samples.push({ t: now, f });
    // Keep about the last two minutes.
    while (samples.length > 2 && now - samples[0].t > 120_000) samples.shift();
    const first = samples[0];
    const dt = now - first.t;
    rate.value = dt > 1500 && f > first.f ? (f - first.f) / dt : rate.value;
  }

  function applyTrainerEvent(e: TrainerEvent): void {
    const d = detail.value;
    if (history.apply(e)) return;
    switch (e.type) {
      case 'metrics':
        addPoints(e.step, e.epoch, e.values);
        break;
      case 'progress':
        recordProgress(e);
        break;
      case 'snapshot':
        if (e.kind === 'alpha') addAlpha(e.epoch, e.payload);
        break;
      case 'log':
        addLog(e.level, e.message);
        break;
      case 'environment':
        if (d) detail.value = { ...d, environment: e.environment };
        break;
      case 'checkpoint':
        // A checkpoint exists from now on: if the run fails, Resume (not Restart) is the right offer at once.
        if (d) detail.value = { ...d, lastCheckpointEpoch: e.epoch, resumable: true };
        break;
      case 'result':
        // The log line about it comes from main (stored, with the training time pauses excluded).
        if (d) detail.value = { ...d, arch: e.arch, genotype: e.genotype, nb201: e.nb201, summary: e.summary ?? null, instanas: e.instanas ?? d.instanas };
        break;
      case 'error':
        addLog('error', e.hint ? `${e.message} — ${e.hint}` : e.message);
        break;
    }
  }

  function mergeSummary(s: RunSummary): void {
    const d = detail.value;
    if (!d) return;
    const statusChanged = d.status !== s.status;
    detail.value = { ...d, ...s };
    if (statusChanged) {
      if (s.status !== 'running') {
        samples.length = 0;
        rate.value = null;
      }
      // Fields only runs.get carries (resumable, result, environment, a dispatched run's attempts) may have changed.
      if (TERMINAL.has(s.status) || s.status === 'paused' || s.where !== 'local') scheduleRefetch();
    }
  }

  function scheduleRefetch(): void {
    if (refetchTimer) clearTimeout(refetchTimer);
    refetchTimer = setTimeout(() => {
      refetchTimer = null;
      void refreshDetail();
    }, 300);
  }

  async function refreshDetail(): Promise<void> {
    const runId = id.value;
    if (runId === null) return;
    try {
      const d = await api().invoke('runs.get', { id: runId });
      if (id.value === runId) detail.value = d;
    } catch (err) {
      useNotifyStore().error(err, 'Cannot refresh the run');
    }
  }

  function onEvent(e: PushEvent): void {
    if (id.value === null) return;
    if (e.type === 'run.event' && e.runId === id.value) {
      if (buffering) buffer.push(e.event);
      else applyTrainerEvent(e.event);
    } else if (e.type === 'run.updated' && e.run.id === id.value) {
      mergeSummary(e.run);
    } else if (e.type === 'run.deleted' && e.runId === id.value) {
      notFound.value = 'This run was deleted.';
    }
  }

  function subscribe(): void {
    if (subscribed) return;
    subscribed = true;
    api().subscribe(onEvent);
    onReconnect(() => {
      if (id.value !== null) void open(id.value, true);
    });
  }

  async function open(runId: number, force = false): Promise<void> {
    subscribe();
    if (!force && id.value === runId && detail.value) return;
    const token = ++loadToken;
    const switching = id.value !== runId;
    id.value = runId;
    notFound.value = null;
    if (switching) {
      detail.value = null;
      series.value = {};
      alphas.value = [];
      logs.value = [];
      progress.value = null;
      samples.length = 0;
      rate.value = null;
      history.reset();
    }
    loading.value = true;
    buffering = true;
    buffer = [];
    try {
      const [d, m, snaps, l, applyHistory] = await Promise.all([
        api().invoke('runs.get', { id: runId }),
        api().invoke('runs.metrics', { id: runId, maxPoints: INITIAL_MAX_POINTS }),
        api().invoke('runs.snapshots', { id: runId, kind: 'alpha' }),
        api().invoke('runs.logs', { id: runId }),
        history.load(runId),
      ]);
      if (token !== loadToken) return;
      detail.value = d;
      applyHistory();
      const s: Record<string, Point[]> = {};
      for (const [name, pts] of Object.entries(m)) s[name] = pts.map((p) => [p[0], p[1], p[2]] as Point).sort((a, b) => a[0] - b[0]);
      series.value = s;
      alphas.value = snaps
        .filter((x) => isAlphaSnapshot(x.payload))
        .map((x) => ({ epoch: x.epoch, payload: x.payload as AlphaSnapshot }))
        .sort((a, b) => a.epoch - b.epoch);
      logs.value = l.slice();
      seriesVersion.value++;
      // Replay what arrived while loading; metric and snapshot merges skip what we already have.
      const fetchedLogs = new Set(l.slice(-50).map((x) => x.message));
      for (const ev of buffer) {
        if (ev.type === 'log' && fetchedLogs.has(ev.message)) continue;
        applyTrainerEvent(ev);
      }
    } catch (err) {
      if (token !== loadToken) return;
      const notify = useNotifyStore();
      notFound.value = err instanceof Error ? err.message : String(err);
      notify.error(err, `Cannot open run #${runId}`);
    } finally {
      if (token === loadToken) {
        buffering = false;
        buffer = [];
        loading.value = false;
      }
    }
  }

  function close(): void {
    loadToken++;
    id.value = null;
    detail.value = null;
    series.value = {};
    alphas.value = [];
    logs.value = [];
    progress.value = null;
    history.reset();
    buffering = false;
    buffer = [];
  }

  async function control(action: 'cancel' | 'pause' | 'resume'): Promise<boolean> {
    const runId = id.value;
    if (runId === null) return false;
    try {
      await api().invoke(`runs.${action}`, { id: runId });
      scheduleRefetch();
      return true;
    } catch (err) {
      useNotifyStore().error(err, `Cannot ${action} the run`);
      return false;
    }
  }

  return {
    id,
    detail,
    loading,
    notFound,
    series,
    seriesVersion,
    alphas,
    logs,
    progress,
    decisions: history.decisions,
    eigenvalues: history.eigenvalues,
    earlyStops: history.earlyStops,
    collapse: history.collapse,
    forced: history.forced,
    fraction,
    etaMs,
    open,
    close,
    control,
    refreshDetail,
  };
});
