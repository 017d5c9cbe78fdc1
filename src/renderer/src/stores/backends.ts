import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { BackendName, BackendReport, BackendVerdict } from '../../../shared/backends';
import { api, errorMessage } from '../api';

// The engine backends on this machine (system.backends): what loads, why not and the fix, what `auto` picks.
// The first request on a machine without a kept verdict probes every backend (a few seconds); the Diagnostics
// page can measure again.

export const useBackendsStore = defineStore('backends', () => {
  const verdict = ref<BackendVerdict | null>(null);
  const loading = ref(false);
  const error = ref<{ message: string; hint?: string } | null>(null);
  let pending: Promise<void> | null = null;

  function load(options: { probe?: boolean } = {}): Promise<void> {
    if (pending && !options.probe) return pending;
    loading.value = true;
    error.value = null;
    const p = api()
      .invoke('system.backends', options.probe ? { probe: true } : {})
      .then((v) => {
        verdict.value = v;
      })
      .catch((e: unknown) => {
        error.value = errorMessage(e);
      })
      .finally(() => {
        if (pending === p) {
          pending = null;
          loading.value = false;
        }
      });
    pending = p;
    return p;
  }

  /** Loads once per session (the server keeps the verdict; this only avoids asking again on every form). */
  function ensure(): Promise<void> {
    return verdict.value ? Promise.resolve() : load();
  }

  function report(name: BackendName): BackendReport | null {
    return verdict.value?.backends.find((b) => b.name === name) ?? null;
  }

  return { verdict, loading, error, load, ensure, report };
});
