import { benchmarkCurvePanel, benchmarkPanel, resultPanel, trajectoryPanel } from '../common-panels';
import type { RendererStrategy } from '../types';

export const evolutionRenderer: RendererStrategy = {
  primaryOptions: ['epochs', 'samples', 'population', 'sampleSize', 'valBatches'],
  plannedEpochs: (o) => ({ epochs: Number(o.epochs) || 0, upperBound: false }),
  runPanels: [trajectoryPanel(false), benchmarkCurvePanel, resultPanel, benchmarkPanel],
};
