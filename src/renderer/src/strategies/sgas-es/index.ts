import { alphaPanel, benchmarkCurvePanel, benchmarkPanel, lambdaPanel, resultPanel } from '../common-panels';
import { decisionTimelinePanel, growingCellPanel } from '../sgas/panels';
import type { RendererStrategy } from '../types';

export const sgasEsRenderer: RendererStrategy = {
  primaryOptions: ['decisionFreq', 'finalEpochs', 'esWindow', 'esDelta', 'esFactor', 'hessianIters', 'criterion'],
  // Each phase is forced to a decision after esStart + decisionFreq epochs; λ_max may end it sooner.
  plannedEpochs: (o, decisions) => ({
    epochs: ((Number(o.esStart) || 0) + (Number(o.decisionFreq) || 0)) * decisions + (Number(o.finalEpochs) || 0),
    upperBound: true,
  }),
  runPanels: [decisionTimelinePanel, growingCellPanel, lambdaPanel(true), alphaPanel, benchmarkCurvePanel, resultPanel, benchmarkPanel],
};
