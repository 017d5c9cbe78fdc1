import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef, watch } from 'vue';
import type { ComparedRun } from '../../../shared/api';
import { api, errorMessage } from '../api';
import { metricToShow } from '../lib/compare/table';

// The runs the Compare view shows (read once through runs.compare), which one is the baseline and which is
// spotlighted as B, and the chart choices, remembered in localStorage across sessions.

/** Points per curve the server sends: 400 buckets × (min, max). */
const COMPARE_POINTS = 800;
const CHARTS_KEY = 'nas-studio.compare.charts';

export interface CompareChartConfig {
  metric: string;
  xAxis: 'step' | 'epoch';
  heatCell: string;
  scatterCost: string;
  scatterAccuracy: string;
  hideIdentical: boolean;
}
const DEFAULTS: CompareChartConfig = { metric: 'val_acc', xAxis: 'epoch', heatCell: '', scatterCost: 'activeSeconds', scatterAccuracy: 'accuracy.test', hideIdentical: false };

function loadConfig(): CompareChartConfig {
  try {
    const raw = JSON.parse(localStorage.getItem(CHARTS_KEY) ?? '{}') as Partial<CompareChartConfig>;
    return { ...DEFAULTS, ...raw };
  } catch {
    return { ...DEFAULTS };
  }
}

export const useCompareStore = defineStore('compare', () => {
  const runs = shallowRef<ComparedRun[]>([]);
  const loading = ref(false);
  const error = ref<{ message: string; hint?: string } | null>(null);
  const baselineId = ref<number | null>(null);
  const otherId = ref<number | null>(null);
  const charts = reactive<CompareChartConfig>(loadConfig());
  watch(charts, (c) => localStorage.setItem(CHARTS_KEY, JSON.stringify(c)), { deep: true });
  let token = 0;

  const baselineIndex = computed(() => Math.max(0, runs.value.findIndex((r) => r.detail.id === baselineId.value)));
  /** Run B of the merged graph: the chosen one, else the first run that is not the baseline. */
  const otherIndex = computed(() => {
    const i = runs.value.findIndex((r) => r.detail.id === otherId.value);
    if (i >= 0 && i !== baselineIndex.value) return i;
    return runs.value.length > 1 ? (baselineIndex.value === 0 ? 1 : 0) : 0;
  });

  async function open(ids: number[], baseline: number | null): Promise<void> {
    const mine = ++token;
    loading.value = true;
    error.value = null;
    try {
      // Only the curve on show: the others come when chosen (a metric of 10 runs × 10,000 points is ~40 ms).
      const res = await api().invoke('runs.compare', { ids, points: COMPARE_POINTS, metrics: [charts.metric] });
      if (mine !== token) return;
      runs.value = res.runs;
      void ensureMetric(charts.metric);
      baselineId.value = baseline !== null && ids.includes(baseline) ? baseline : (res.runs[0]?.detail.id ?? null);
      if (otherId.value === baselineId.value || !ids.includes(otherId.value ?? -1)) otherId.value = null;
    } catch (err) {
      if (mine === token) {
        runs.value = [];
        error.value = errorMessage(err);
      }
    } finally {
      if (mine === token) loading.value = false;
    }
  }


  /** Loads one metric's curves for the open runs if they are not there yet. */
  async function ensureMetric(wanted: string): Promise<void> {
    const metric = metricToShow(runs.value, wanted);
    const missing = runs.value.filter((r) => r.last[metric] && !r.series[metric]);
    if (!metric || missing.length === 0) return;
    const mine = token;
    try {
      const res = await api().invoke('runs.compare', { ids: missing.map((r) => r.detail.id), points: COMPARE_POINTS, metrics: [metric] });
      if (mine !== token) return;
      const byId = new Map(res.runs.map((r) => [r.detail.id, r.series[metric]]));
      runs.value = runs.value.map((r) => (byId.has(r.detail.id) ? { ...r, series: { ...r.series, [metric]: byId.get(r.detail.id) ?? [] } } : r));
    } catch (err) {
      if (mine === token) error.value = errorMessage(err);
    }
  }
  watch(() => charts.metric, (m) => void ensureMetric(m));

  return { runs, loading, error, baselineId, otherId, baselineIndex, otherIndex, charts, open };
});
