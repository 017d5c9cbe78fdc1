import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { PushEvent, RunFacets, RunSummary } from '../../../shared/api';
import { RUN_STATUSES } from '../../../shared/events';
import { api, onReconnect } from '../api';
import { useNotifyStore } from './notify';

const ACTIVE = ['queued', 'running', 'paused'] as const;

/**
 * What every page needs of the run history without reading all of it: the active runs (queued, running,
 * paused: the header's running count, a run's place in the queue), the history's counts (runs.facets), and a
 * `version` that ticks whenever the list may have changed, so the runs list refetches the pages it shows.
 * The list itself is read a page at a time by the Runs view (lib/run-pages.ts). Kept current from
 * `run.updated` / `run.deleted` push events, batched per frame.
 */
export const useRunsStore = defineStore('runs', () => {
  /** Active runs, and any run updated since the page loaded. */
  const runs = shallowRef<RunSummary[]>([]);
  const facets = shallowRef<RunFacets | null>(null);
  const loaded = ref(false);
  const loading = ref(false);
  /** Bumped when runs were added, deleted or changed status: the list's pages are stale. */
  const version = ref(0);
  /** The latest pushed summaries, for rows already on screen. */
  const updates = shallowRef(new Map<number, RunSummary>());
  let subscribed = false;

  const pendingUpdates = new Map<number, RunSummary>();
  const pendingDeletes = new Set<number>();
  let flushScheduled = false;

  const byId = computed(() => {
    const m = new Map<number, RunSummary>();
    for (const r of runs.value) m.set(r.id, r);
    return m;
  });

  function flush(): void {
    flushScheduled = false;
    if (pendingUpdates.size === 0 && pendingDeletes.size === 0) return;
    let listChanged = pendingDeletes.size > 0;
    const next: RunSummary[] = [];
    for (const r of runs.value) {
      if (pendingDeletes.has(r.id)) continue;
      const u = pendingUpdates.get(r.id);
      if (u) {
        if (u.status !== r.status) listChanged = true;
        next.push(u);
        pendingUpdates.delete(r.id);
      } else next.push(r);
    }
    // A run not known yet: new, or a finished one changed (a tag, a retrain's result).
    for (const u of pendingUpdates.values()) {
      if (pendingDeletes.has(u.id)) continue;
      next.push(u);
      listChanged = true;
    }
    const merged = new Map(updates.value);
    for (const r of next) merged.set(r.id, r);
    for (const id of pendingDeletes) merged.delete(id);
    updates.value = merged;
    pendingUpdates.clear();
    pendingDeletes.clear();
    runs.value = next;
    if (listChanged) {
      version.value++;
      void loadFacets();
    }
  }

  function schedule(): void {
    if (flushScheduled) return;
    flushScheduled = true;
    const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (f: () => void) => setTimeout(f, 16);
    raf(flush);
  }

  function onEvent(e: PushEvent): void {
    if (e.type === 'run.updated') {
      pendingDeletes.delete(e.run.id);
      pendingUpdates.set(e.run.id, e.run);
      schedule();
    } else if (e.type === 'run.deleted') {
      pendingUpdates.delete(e.runId);
      pendingDeletes.add(e.runId);
      schedule();
    }
  }

  function subscribe(): void {
    if (subscribed) return;
    subscribed = true;
    api().subscribe(onEvent);
    onReconnect(() => void load());
  }

  let facetsAsked = 0;
  async function loadFacets(): Promise<void> {
    const asked = ++facetsAsked;
    try {
      const f = await api().invoke('runs.facets', {});
      if (asked === facetsAsked) facets.value = f;
    } catch {
      /* counts only; the list reports its own errors */
    }
  }

  async function load(): Promise<void> {
    subscribe();
    loading.value = true;
    try {
      const [lists, f] = await Promise.all([
        Promise.all(ACTIVE.map((status) => api().invoke('runs.list', { status }))),
        api().invoke('runs.facets', {}),
      ]);
      runs.value = lists.flat();
      facets.value = f;
      loaded.value = true;
      version.value++;
      // Events that raced the list are newer: re-apply them.
      schedule();
    } catch (err) {
      useNotifyStore().error(err, 'Cannot load runs');
    } finally {
      loading.value = false;
    }
  }

  /** A run changed here (tags, note): the list shows it at once. */
  function applyLocal(run: RunSummary): void {
    pendingUpdates.set(run.id, run);
    flush();
  }

  async function remove(id: number): Promise<boolean> {
    try {
      await api().invoke('runs.delete', { id });
      pendingDeletes.add(id);
      flush();
      return true;
    } catch (err) {
      useNotifyStore().error(err, 'Cannot delete the run');
      return false;
    }
  }

  /** How many runs the history holds in a status, or in all. */
  function countOf(status?: (typeof RUN_STATUSES)[number]): number {
    const f = facets.value;
    if (!f) return 0;
    return status ? (f.statuses.find((s) => s.value === status)?.count ?? 0) : f.total;
  }

  return { runs, byId, facets, updates, version, loaded, loading, load, loadFacets, applyLocal, remove, subscribe, countOf };
});
