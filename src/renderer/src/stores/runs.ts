import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { PushEvent, RunSummary } from '../../../shared/api';
import { api, onReconnect } from '../api';
import { useNotifyStore } from './notify';

/**
 * The run history. Holds every summary (5,000+ is fine: the array is shallow, rows are never made deeply
 * reactive) and keeps it current from `run.updated` / `run.deleted` push events, batched per frame.
 * Filtering and sorting are done by the view, client-side.
 */
export const useRunsStore = defineStore('runs', () => {
  const runs = shallowRef<RunSummary[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
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
    const next: RunSummary[] = [];
    for (const r of runs.value) {
      if (pendingDeletes.has(r.id)) continue;
      const u = pendingUpdates.get(r.id);
      if (u) {
        next.push(u);
        pendingUpdates.delete(r.id);
      } else next.push(r);
    }
    for (const u of pendingUpdates.values()) if (!pendingDeletes.has(u.id)) next.push(u);
    pendingUpdates.clear();
    pendingDeletes.clear();
    runs.value = next;
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

  async function load(): Promise<void> {
    subscribe();
    loading.value = true;
    try {
      const list = await api().invoke('runs.list', {});
      runs.value = list;
      loaded.value = true;
      // Events that raced the list are newer: re-apply them.
      schedule();
    } catch (err) {
      useNotifyStore().error(err, 'Cannot load runs');
    } finally {
      loading.value = false;
    }
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

  return { runs, byId, loaded, loading, load, remove, subscribe };
});
