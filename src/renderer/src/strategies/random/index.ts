import { benchmarkCurvePanel, benchmarkPanel, resultPanel, trajectoryPanel } from '../common-panels';
import type { RendererStrategy } from '../types';

export const randomRenderer: RendererStrategy = {
  primaryOptions: ['epochs', 'samples', 'valBatches'],
  plannedEpochs: (o) => ({ epochs: Number(o.epochs) || 0, upperBound: false }),
  runPanels: [trajectoryPanel(false), benchmarkCurvePanel, resultPanel, benchmarkPanel],
};
