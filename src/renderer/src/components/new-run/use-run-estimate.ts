import { computed, onBeforeUnmount, ref, watch } from 'vue';
import type { RunEstimate } from '../../../../shared/api';
import type { SearchConfig } from '../../../../shared/config';
import { isCellSpace } from '../../../../shared/spaces/registry';
import { api, errorMessage } from '../../api';

// The pre-flight's measured estimate of the form's config (runs.estimate: a short probe of that config in a
// trainer process): asked for once the user stops typing, only for a config that validates; the answer to
// an older config is dropped when a newer one has been asked for.

const DEBOUNCE_MS = 600;

function gb(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : `${Math.round(bytes / 2 ** 20)} MB`;
}

/** Why the run cannot start as configured (it would not fit, or its backend does not load); null when it can. */
export function blockingReason(e: RunEstimate | null, config: SearchConfig | null): string | null {
  if (!e || !config) return null;
  // Spaces the pre-flight cannot size (no C and N) get a note, not a block.
  if (!isCellSpace(config.space)) return null;
  if (e.problem && config.backend !== 'auto' && !e.device) return `${e.problem.message}${e.problem.hint ? ` ${e.problem.hint}` : ''}`;
  const m = e.memory;
  if (!m || m.fits !== false || m.limitBytes === null) return null;
  const shape = `batch ${config.batchSize}, C = ${config.space.channels}, N = ${config.space.cells}`;
  const perThread = m.threads > 1 ? ` on each of ${m.threads} threads` : '';
  const need = `needs about ${gb(m.estimateBytes)}${perThread}, more than the ${e.backend} backend's ${gb(m.limitBytes)}${m.threads > 1 ? ' per thread' : ''} allows`;
  const fix =
    m.largestBatchThatFits && m.largestBatchThatFits >= 2
      ? `The largest batch that fits is ${m.largestBatchThatFits}.`
      : `No batch size fits at this C and N: ${narrowerAdvice(m.narrowerFits, config.space.cells)}`;
  return `Will not fit in memory: ${shape} ${need}. ${fix}`;
}

/** "the largest C that fits is 3 at batch 1024, or 96 at batch 16 (N = 30)"; fewer cells when no C fits. */
export function narrowerAdvice(fits: NonNullable<RunEstimate['memory']>['narrowerFits'], cells: number): string {
  if (fits.length === 0) return `even C = 2 does not fit at N = ${cells}: lower the cells N.`;
  const each = fits.map((f) => `${f.channels} at batch ${f.batchSize}`).join(', or ');
  return `lower the channels C (the largest C that fits is ${each}, with N = ${cells}) or the cells N.`;
}

export function useRunEstimate(config: () => SearchConfig | null) {
  const estimate = ref<RunEstimate | null>(null);
  /** The config the estimate is for (null while none validates). */
  const estimatedFor = ref<SearchConfig | null>(null);
  const measuring = ref(false);
  const error = ref<string | null>(null);
  let asked = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function ask(c: SearchConfig, n: number): Promise<void> {
    measuring.value = true;
    error.value = null;
    try {
      const e = await api().invoke('runs.estimate', { config: c });
      if (n !== asked || e.superseded) return;
      estimate.value = e;
      estimatedFor.value = c;
    } catch (err) {
      if (n !== asked) return;
      error.value = errorMessage(err).message;
    } finally {
      if (n === asked) measuring.value = false;
    }
  }

  // Only what changes the estimate: not the name, the seed or the strategy's rates (its name decides whether
  // threads apply; the thread count splits the memory).
  const key = computed(() => {
    const c = config();
    if (!c) return null;
    return JSON.stringify([c.dataset, c.backend, c.batchSize, c.recompute, c.threads, c.threadBn, c.strategy.name, c.augment, c.trainLimit, c.trainPortion, c.space]);
  });
  watch(
    key,
    (k) => {
      if (timer) clearTimeout(timer);
      const n = ++asked;
      const c = config();
      if (!k || !c) {
        measuring.value = false;
        return;
      }
      measuring.value = true;
      timer = setTimeout(() => void ask(c, n), DEBOUNCE_MS);
    },
    { immediate: true },
  );
  onBeforeUnmount(() => {
    if (timer) clearTimeout(timer);
  });

  const current = computed(() => (key.value ? estimate.value : null));
  const blocked = computed(() => (measuring.value ? null : blockingReason(current.value, config())));
  return { estimate: current, estimatedFor, measuring, error, blocked };
}
export type RunEstimateState = ReturnType<typeof useRunEstimate>;
