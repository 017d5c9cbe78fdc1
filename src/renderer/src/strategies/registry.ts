import { STRATEGY_DESCRIPTORS, type StrategyName } from '../../../shared/strategies/registry';
import { NB201_EDGES } from '../../../shared/spaces/nb201';
import { dartsRenderer } from './darts';
import { sgasRenderer } from './sgas';
import { sgasEsRenderer } from './sgas-es';
import { mdenasRenderer } from './mdenas';
import { randomRenderer } from './random';
import { evolutionRenderer } from './evolution';
import { retrainRenderer } from './retrain';
import { instanasRenderer } from './instanas';
import { spdnasRenderer } from './spdnas';
import type { PlannedEpochs, RendererStrategy } from './types';

// Every strategy's renderer side by name (the third registry of ARCHITECTURE §8, next to the shared
// descriptors and main's implementations). Adding a strategy: a folder here and one line below.
export const RENDERER_STRATEGIES: Record<StrategyName, RendererStrategy> = {
  darts: dartsRenderer,
  sgas: sgasRenderer,
  'sgas-es': sgasEsRenderer,
  mdenas: mdenasRenderer,
  random: randomRenderer,
  evolution: evolutionRenderer,
  retrain: retrainRenderer,
  instanas: instanasRenderer,
  spdnas: spdnasRenderer,
};

export function rendererStrategy(name: string): RendererStrategy | null {
  return (RENDERER_STRATEGIES as Record<string, RendererStrategy>)[name] ?? null;
}

/** Edges an SGAS-style search fixes per cell type: every NB201 edge; in the DARTS space 2 inputs per node. */
export function decisionsPerCell(space: { name: string; nodes?: unknown }): number {
  if (space.name === 'darts') return 2 * (Number(space.nodes) || 4);
  return NB201_EDGES.length;
}

export function plannedEpochs(space: { name: string; nodes?: unknown }, strategy: { name: string } & Record<string, unknown>): PlannedEpochs | null {
  const r = rendererStrategy(strategy.name);
  return r ? r.plannedEpochs(strategy, decisionsPerCell(space)) : null;
}

/** "DARTS (2nd order)", "SGAS-es (1st order)"; the name itself for a strategy this build does not know. */
export function strategyLabel(name: string, order?: number | null): string {
  const d = (STRATEGY_DESCRIPTORS as Record<string, { label: string }>)[name];
  const label = d?.label ?? name;
  return order === 1 || order === 2 ? `${label} (${order === 2 ? '2nd' : '1st'} order)` : label;
}
