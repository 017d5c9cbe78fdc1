import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';

// The runs chosen for Compare: ids in the order they were picked, kept in sessionStorage so the selection
// survives navigating to a run and back, and a reload, but not a new window.

const KEY = 'nas-studio.selection';
/** Compare shows at most this many runs side by side. */
export const MAX_SELECTION = 10;

function restore(): number[] {
  try {
    const v: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x) && x > 0).slice(0, MAX_SELECTION) : [];
  } catch {
    return [];
  }
}

export const useSelectionStore = defineStore('selection', () => {
  const ids = ref<number[]>(restore());
  const set = computed(() => new Set(ids.value));
  watch(ids, (v) => sessionStorage.setItem(KEY, JSON.stringify(v)), { deep: true });

  function has(id: number): boolean {
    return set.value.has(id);
  }
  /** Adds or removes a run; false when adding would pass MAX_SELECTION. */
  function toggle(id: number): boolean {
    if (has(id)) ids.value = ids.value.filter((x) => x !== id);
    else if (ids.value.length >= MAX_SELECTION) return false;
    else ids.value = [...ids.value, id];
    return true;
  }
  function replace(next: readonly number[]): void {
    ids.value = [...new Set(next)].slice(0, MAX_SELECTION);
  }
  /** Forgets runs that no longer exist. */
  function drop(id: number): void {
    if (has(id)) ids.value = ids.value.filter((x) => x !== id);
  }
  function clear(): void {
    ids.value = [];
  }
  return { ids, has, toggle, replace, drop, clear };
});
