import { alphaPanel, benchmarkCurvePanel, benchmarkPanel, cellPanel, lambdaPanel, resultPanel } from '../common-panels';
import type { RendererStrategy } from '../types';

export const dartsRenderer: RendererStrategy = {
  primaryOptions: ['epochs', 'order', 'lambdaMax'],
  plannedEpochs: (o) => ({ epochs: Number(o.epochs) || 0, upperBound: false }),
  runPanels: [alphaPanel, cellPanel, lambdaPanel(false), benchmarkCurvePanel, resultPanel, benchmarkPanel],
};
