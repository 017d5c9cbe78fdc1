import { benchmarkCurvePanel, benchmarkPanel, probabilityPanel, resultPanel, trajectoryPanel } from '../common-panels';
import type { RendererStrategy } from '../types';

export const mdenasRenderer: RendererStrategy = {
  primaryOptions: ['epochs', 'distributionLr', 'sampling', 'convergence', 'threshold'],
  // `epochs` is the most it trains: a convergence rule other than 'epochs' may end it sooner.
  plannedEpochs: (o) => ({ epochs: Number(o.epochs) || 0, upperBound: o.convergence !== 'epochs' }),
  runPanels: [probabilityPanel, trajectoryPanel(true), benchmarkCurvePanel, resultPanel, benchmarkPanel],
};
