import { defineAsyncComponent } from 'vue';
import { isDryRun } from '../../../shared/config';
import { runSummary } from '../components/run/benchmark-view';
import type { PanelContext, RunPanel } from './types';

// Panels any strategy can mount (loaded with the run view, on demand).
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

const dryRun = ({ detail }: PanelContext) => isDryRun(detail.config);

/** The NAS-Bench-201 table's scores of the returned cell, and a sampling search's summary (any strategy). */
export const benchmarkPanel: RunPanel = {
  id: 'benchmark',
  wide: true,
  component: defineAsyncComponent(() => import('../components/run/BenchmarkPanel.vue')),
  when: ({ detail }) => !!detail.nb201 || runSummary(detail) !== null,
};
/** Table accuracy and rank of the cell derived at each epoch: every NAS-Bench-201 run that trains. */
export const benchmarkCurvePanel: RunPanel = {
  id: 'benchmark-curve',
  wide: true,
  component: defineAsyncComponent(() => import('../components/run/BenchmarkCurvePanel.vue')),
  // Dry runs too: MdeNAS reports its most likely cell after each query.
  when: (ctx) => ctx.detail.config.space.name === 'nb201',
};
/** Best found vs architectures evaluated; `onlyDryRun` for strategies that rank candidates only in a dry run. */
export const trajectoryPanel = (onlyDryRun: boolean): RunPanel => ({
  id: 'trajectory',
  wide: true,
  component: defineAsyncComponent(() => import('../components/run/TrajectoryPanel.vue')),
  when: onlyDryRun ? dryRun : undefined,
});
export const probabilityPanel: RunPanel = {
  id: 'probabilities',
  wide: true,
  component: defineAsyncComponent(() => import('../components/run/ProbabilityPanel.vue')),
};
