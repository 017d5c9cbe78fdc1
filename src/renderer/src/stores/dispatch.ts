import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { DispatchStatus, WorkerInfo } from '../../../shared/dispatch';
import { api } from '../api';
import { useNotifyStore } from './notify';

/** How often an open Workers page or Settings section asks again: liveness keys expire in seconds. */
const POLL_MS = 2000;

/**
 * This app's part in a lab (standalone, coordinator, worker), its join code and the workers it sees. Views that
 * show workers call `watch()` while mounted; the store polls only while one of them is open.
 */
export const useDispatchStore = defineStore('dispatch', () => {
  const status = ref<DispatchStatus | null>(null);
  const loaded = ref(false);
  /** Which action is in flight ('start', 'stop', 'join'), for button spinners. */
  const busy = ref<string | null>(null);
  const isCoordinator = computed(() => status.value?.role === 'coordinator');
  const workers = computed<WorkerInfo[]>(() => status.value?.workers ?? []);

  async function refresh(): Promise<void> {
    try {
      status.value = await api().invoke('dispatch.status', {});
      loaded.value = true;
    } catch (err) {
      if (!loaded.value) useNotifyStore().error(err, 'Cannot read the lab status');
    }
  }

  let watchers = 0;
  let timer: ReturnType<typeof setInterval> | null = null;
  /** Keeps the status fresh until the returned function is called (a view's unmount). */
  function watch(): () => void {
    watchers++;
    void refresh();
    timer ??= setInterval(() => void refresh(), POLL_MS);
    return () => {
      watchers--;
      if (watchers === 0 && timer) {
        clearInterval(timer);
        timer = null;
      }
    };
  }

  /** Runs one action; the answer is the new status. Errors are shown and rethrown for the form beside them. */
  async function act(name: string, call: () => Promise<DispatchStatus>, failure: string): Promise<DispatchStatus | null> {
    busy.value = name;
    try {
      status.value = await call();
      loaded.value = true;
      return status.value;
    } catch (err) {
      useNotifyStore().error(err, failure);
      return null;
    } finally {
      busy.value = null;
    }
  }

  const startCoordinator = (redis?: string) =>
    act('start', () => api().invoke('dispatch.startCoordinator', redis ? { redis } : {}), 'Cannot let other machines help');
  const stop = () => act('stop', () => api().invoke('dispatch.stop', {}), 'Cannot stop');
  const join = (code: string, name: string) => act('join', () => api().invoke('dispatch.join', { code, name }), 'Cannot join the lab');
  const revokeWorker = (name: string) => act(`revoke:${name}`, () => api().invoke('dispatch.revokeWorker', { name }), `Cannot revoke ${name}`);

  return { status, loaded, busy, isCoordinator, workers, refresh, watch, startCoordinator, stop, join, revokeWorker };
});
