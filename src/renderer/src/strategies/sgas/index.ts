import { alphaPanel, benchmarkCurvePanel, benchmarkPanel, lambdaPanel, resultPanel } from '../common-panels';
import type { RendererStrategy } from '../types';
import { decisionTimelinePanel, growingCellPanel } from './panels';

/** SGAS decides at the end of epoch warmup + k·decisionFreq (k = 0…decisions−1), then trains finalEpochs more. */
export function sgasEpochs(warmup: number, decisionFreq: number, decisions: number, finalEpochs: number): number {
  return warmup + decisionFreq * (decisions - 1) + 1 + finalEpochs;
}

export const sgasRenderer: RendererStrategy = {
  primaryOptions: ['warmup', 'decisionFreq', 'finalEpochs', 'criterion', 'order', 'lambdaMax'],
  plannedEpochs: (o, decisions) => ({
    epochs: sgasEpochs(Number(o.warmup) || 0, Number(o.decisionFreq) || 0, decisions, Number(o.finalEpochs) || 0),
    upperBound: false,
  }),
  runPanels: [decisionTimelinePanel, growingCellPanel, lambdaPanel(false), alphaPanel, benchmarkCurvePanel, resultPanel, benchmarkPanel],
};
