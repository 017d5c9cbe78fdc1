import { benchmarkPanel, resultPanel, trajectoryPanel } from '../common-panels';
import type { RendererStrategy } from '../types';

export const evolutionRenderer: RendererStrategy = {
  primaryOptions: ['epochs', 'samples', 'population', 'sampleSize', 'valBatches'],
  plannedEpochs: (o) => ({ epochs: Number(o.epochs) || 0, upperBound: false }),
  // No benchmark curve: they return a ranked candidate, not a cell derived each epoch.
  runPanels: [trajectoryPanel(false), resultPanel, benchmarkPanel],
};
