import { defineAsyncComponent } from 'vue';
import { resultPanel } from '../common-panels';
import type { RendererStrategy, RunPanel } from '../types';

// SPDNetNAS in the run view: sparsemax(α) per edge with each edge's own SPD ops, the derived SPD cell, and the
// spectrum's health (ALGORITHMS §7), in place of the generic α and cell panels (same ids). The New-run form
// renders the options schema (epochs, order, …).
const spdAlphaPanel: RunPanel = { id: 'alpha', component: defineAsyncComponent(() => import('./SpdAlphaPanel.vue')) };
const spdCellPanel: RunPanel = { id: 'cell', component: defineAsyncComponent(() => import('./SpdCellPanel.vue')) };
const spdHealthPanel: RunPanel = { id: 'spd-health', wide: true, component: defineAsyncComponent(() => import('./SpdHealthPanel.vue')) };

export const spdnasRenderer: RendererStrategy = {
  primaryOptions: ['epochs', 'order', 'healthEvery'],
  plannedEpochs: (o) => ({ epochs: Number(o.epochs) || 0, upperBound: false }),
  runPanels: [spdHealthPanel, spdAlphaPanel, spdCellPanel, resultPanel],
};
