import { defineAsyncComponent } from 'vue';
import { cellPanel, resultPanel } from '../common-panels';
import type { RendererStrategy } from '../types';

// A retrain (family 'evaluation'): its evaluation card, then the trained cell and its genotype. An SPD retrain
// shows its cell with the SPD op names (SPDNetNAS's cell panel); the SPDNet baseline has no cell to draw.
export const retrainRenderer: RendererStrategy = {
  optionsForm: defineAsyncComponent(() => import('./RetrainOptionsForm.vue')),
  // network: SPD space only (the form hides it elsewhere); the image recipe's fields: image spaces only.
  primaryOptions: ['architecture', 'network', 'epochs', 'lr', 'auxiliary', 'dropPath', 'cutout'],
  plannedEpochs: (o) => ({ epochs: Number(o.epochs) || 0, upperBound: false }),
  runPanels: [
    { id: 'evaluation', wide: true, component: defineAsyncComponent(() => import('./EvaluationPanel.vue')) },
    { ...cellPanel, when: ({ detail }) => detail.config.space.name !== 'spd' },
    { id: 'spd-cell', component: defineAsyncComponent(() => import('../spdnas/SpdCellPanel.vue')), when: ({ detail }) => detail.config.space.name === 'spd' && !!detail.genotype },
    resultPanel,
  ],
};
