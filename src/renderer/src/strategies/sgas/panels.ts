import { defineAsyncComponent } from 'vue';
import type { RunPanel } from '../types';

// The SGAS family's own panels (SGAS-es mounts them too).
export const decisionTimelinePanel: RunPanel = {
  id: 'decisions',
  wide: true,
  component: defineAsyncComponent(() => import('./DecisionTimeline.vue')),
};
export const growingCellPanel: RunPanel = { id: 'growing-cell', component: defineAsyncComponent(() => import('./GrowingCellPanel.vue')) };
