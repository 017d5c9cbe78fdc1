import { defineAsyncComponent } from 'vue';
import type { RendererStrategy, RunPanel } from '../types';

// InstaNAS (ALGORITHMS §6): no cell to draw (its space is a MobileNetV2-style meta-graph and its result a
// distribution of per-instance paths), so the run view shows the search curves and op usage live, then the
// accuracy–latency trade-off, the per-instance latency and the paths the test images took.
const finished: RunPanel['when'] = ({ detail }) => detail.instanas !== null || detail.status === 'completed';

export const instanasRenderer: RendererStrategy = {
  primaryOptions: ['pretrainEpochs', 'epochs', 'latencyWindow', 'posReward', 'negReward'],
  // Pretraining and search epochs, then the MobileNetV2-like baseline trained as many epochs (as the trainer counts).
  plannedEpochs: (o) => ({ epochs: 2 * ((Number(o.pretrainEpochs) || 0) + (Number(o.epochs) || 0)), upperBound: false }),
  runPanels: [
    { id: 'instanas-live', wide: true, component: defineAsyncComponent(() => import('./LivePanel.vue')) },
    { id: 'instanas-tradeoff', wide: true, component: defineAsyncComponent(() => import('./TradeoffPanel.vue')), when: finished },
    { id: 'instanas-usage', component: defineAsyncComponent(() => import('./UsagePanel.vue')) },
    { id: 'instanas-latency', component: defineAsyncComponent(() => import('./LatencyPanel.vue')), when: finished },
    { id: 'instanas-gallery', wide: true, component: defineAsyncComponent(() => import('./PathGalleryPanel.vue')), when: finished },
  ],
};
