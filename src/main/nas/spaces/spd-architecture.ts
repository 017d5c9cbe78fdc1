import type { SpaceConfig } from '../../../shared/config';
import { dartsEdges, type DartsGenotype, type GenotypeEntry } from '../../../shared/spaces/darts';
import { SPD_STEPS, deriveSpdGenotype, spdEdgeOps, type SpdCellType } from '../../../shared/spaces/spd';
import type { SpaceArchitecture } from './architectures';

// The SPD space's discrete architectures (architectures.ts's contract): DARTS-shaped genotypes whose ops are
// SPD op names, read off sparsemax(α) by the DARTS rule without `none` (ALGORITHMS.md §7.3).

const edges = dartsEdges(SPD_STEPS);
const state = (s: number) => (s < 2 ? ['cₖ₋₂', 'cₖ₋₁'][s] : `node ${s - 2}`);

function cellFromSelection(selected: ReadonlyArray<number | null> | undefined, type: SpdCellType): GenotypeEntry[] {
  if (!selected) return [];
  const ops = spdEdgeOps(type);
  return edges.flatMap((e) => {
    const k = selected[e.index];
    return k === null || k === undefined || k < 0 ? [] : [[ops[e.index][k], e.source] as GenotypeEntry];
  });
}

export const spdArchitecture: SpaceArchitecture<Extract<SpaceConfig, { name: 'spd' }>> = {
  topology: () => ({
    edgeNodes: edges.map((e) => e.node),
    edgeSources: edges.map((e) => e.source),
    maxInDegree: 2,
    edgeLabels: edges.map((e) => `${state(e.source)} → node ${e.node}`),
  }),
  fromWeights: (_space, weights) => ({ genotype: deriveSpdGenotype(weights), arch: null, nb201: null }),
  fromSelection: (_space, selection) => {
    const concat = Array.from({ length: SPD_STEPS }, (_, i) => i + 2);
    const genotype: DartsGenotype = {
      normal: cellFromSelection(selection.normal, 'normal'),
      normalConcat: concat,
      reduce: cellFromSelection(selection.reduce, 'reduce'),
      reduceConcat: [...concat],
    };
    return { genotype, arch: null, nb201: null };
  },
  cellOps: (genotype) => {
    const g = genotype as DartsGenotype;
    return (g.normal.length ? g.normal : g.reduce).map(([op]) => op);
  },
  scoreCell: () => null,
};
