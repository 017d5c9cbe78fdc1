import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { MAX_SELECTION, useSelectionStore } from '../../../src/renderer/src/stores/selection';

// The Compare selection survives navigation and reload through sessionStorage (a Map-backed stand-in here:
// the test runs in Node; the e2e test checks the real one in Chromium).

class MemoryStorage {
  private readonly m = new Map<string, string>();
  getItem(k: string): string | null {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.m.set(k, String(v));
  }
  removeItem(k: string): void {
    this.m.delete(k);
  }
}

describe('selection store', () => {
  beforeEach(() => {
    (globalThis as { sessionStorage?: unknown }).sessionStorage = new MemoryStorage();
    setActivePinia(createPinia());
  });

  it('keeps ids in the order picked, toggles, and restores them in a new page', async () => {
    const s = useSelectionStore();
    s.toggle(4);
    s.toggle(2);
    s.toggle(9);
    s.toggle(2);
    expect(s.ids).toEqual([4, 9]);
    await nextTick();
    setActivePinia(createPinia());
    expect(useSelectionStore().ids).toEqual([4, 9]);
  });

  it(`refuses more than ${MAX_SELECTION} runs and ignores a damaged saved value`, () => {
    const s = useSelectionStore();
    for (let i = 1; i <= MAX_SELECTION; i++) expect(s.toggle(i)).toBe(true);
    expect(s.toggle(99)).toBe(false);
    expect(s.ids).toHaveLength(MAX_SELECTION);
    sessionStorage.setItem('nas-studio.selection', '{not json');
    setActivePinia(createPinia());
    expect(useSelectionStore().ids).toEqual([]);
  });
});
