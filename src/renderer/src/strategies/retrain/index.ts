import { defineAsyncComponent } from 'vue';
import { cellPanel, resultPanel } from '../common-panels';
import type { RendererStrategy } from '../types';

// A retrain (family 'evaluation'): its evaluation card, then the trained cell and its genotype.
export const retrainRenderer: RendererStrategy = {
  optionsForm: defineAsyncComponent(() => import('./RetrainOptionsForm.vue')),
  primaryOptions: ['architecture', 'epochs', 'lr', 'auxiliary', 'dropPath', 'cutout'],
  plannedEpochs: (o) => ({ epochs: Number(o.epochs) || 0, upperBound: false }),
  runPanels: [
    { id: 'evaluation', wide: true, component: defineAsyncComponent(() => import('./EvaluationPanel.vue')) },
    cellPanel,
    resultPanel,
  ],
};
