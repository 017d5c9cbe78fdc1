import { defineAsyncComponent } from 'vue';
import type { RunPanel } from './types';

// Panels any one-shot strategy can mount (loaded with the run view, on demand).
export const alphaPanel: RunPanel = { id: 'alpha', component: defineAsyncComponent(() => import('../components/run/AlphaPanel.vue')) };
export const cellPanel: RunPanel = { id: 'cell', component: defineAsyncComponent(() => import('../components/run/CellPanel.vue')) };
export const resultPanel: RunPanel = {
  id: 'result',
  wide: true,
  component: defineAsyncComponent(() => import('../components/run/ResultPanel.vue')),
  when: ({ detail }) => !!(detail.arch || detail.nb201 || detail.genotype),
};
/** λ_max against epochs; for strategies where tracking it is optional, only once values exist. */
export const lambdaPanel = (always: boolean): RunPanel => ({
  id: 'lambda',
  component: defineAsyncComponent(() => import('../components/run/LambdaPanel.vue')),
  when: always ? undefined : ({ eigenvalueCount }) => eigenvalueCount > 0,
});
