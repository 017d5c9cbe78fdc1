import { computed, inject, provide, ref, type InjectionKey } from 'vue';
import { storeToRefs } from 'pinia';
import { useRunStore } from '../../stores/run';
import { cellKeys } from '../../lib/genotype';

// The α snapshot and cell type the run view is looking at, shared by the heat map and the cell graph.
function createAlphaSelection() {
  const { alphas, detail } = storeToRefs(useRunStore());
  const preferredCell = ref('');
  /** -1 = follow the latest snapshot. */
  const epochIndex = ref(-1);
  const cellTypes = computed(() => {
    const last = alphas.value[alphas.value.length - 1];
    return last ? cellKeys(last.payload) : [];
  });
  const cellType = computed({
    get: () => (cellTypes.value.includes(preferredCell.value) ? preferredCell.value : (cellTypes.value[0] ?? '')),
    set: (v: string) => (preferredCell.value = v),
  });
  const selectedIdx = computed(() => {
    const n = alphas.value.length;
    if (n === 0) return -1;
    return epochIndex.value < 0 || epochIndex.value >= n ? n - 1 : epochIndex.value;
  });
  const selectedAlpha = computed(() => (selectedIdx.value >= 0 ? alphas.value[selectedIdx.value] : null));
  const space = computed(() => detail.value?.config.space.name ?? 'nb201');
  return { alphas, cellTypes, cellType, epochIndex, selectedIdx, selectedAlpha, space };
}

type AlphaSelection = ReturnType<typeof createAlphaSelection>;
const KEY: InjectionKey<AlphaSelection> = Symbol('alpha-selection');

/** Called by the run view: one selection for all its panels. */
export function provideAlphaSelection(): AlphaSelection {
  const s = createAlphaSelection();
  provide(KEY, s);
  return s;
}

export function useAlphaSelection(): AlphaSelection {
  return inject(KEY, null) ?? createAlphaSelection();
}
