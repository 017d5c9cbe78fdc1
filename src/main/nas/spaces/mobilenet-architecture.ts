import type { SpaceConfig } from '../../../shared/config';
import { MOBILENET_OPS, MOBILENET_OP_LABELS, mobilenetLayout, policyKey } from '../../../shared/spaces/mobilenet';
import type { EdgeSelection, SearchResultArchitecture, SpaceArchitecture } from './architectures';

// What "the architecture" of an instance-aware search is, for the seam that every space serves (runs list,
// history, compare): not one network but a distribution of policies. Its genotype is the op-usage matrix
// (blocks × ops, the fraction of test images whose policy enables each op) and the most used path; its
// "weights" for `fromWeights` are that usage matrix under the key 'blocks'. No arch string (that is
// NAS-Bench-201's), no table score.

export interface InstanasGenotype {
  kind: 'instanas';
  ops: string[];
  /** [block][op]: fraction of instances whose policy enables the op. */
  usage: number[][];
  /** The most used policy (bits, row-major, 5 per block), or the majority policy when only usage is known. */
  path: string;
  /** Per block, the ops of `path` ("IR k3 e6+Basic block", or "identity"). */
  blocks: string[];
}

export function instanasGenotype(usage: number[][], path?: string): InstanasGenotype {
  const key = path ?? policyKey(usage.flatMap((row) => row.map((u) => (u >= 0.5 ? 1 : 0))));
  const blocks = usage.map((_, t) => {
    const on = MOBILENET_OP_LABELS.filter((_, k) => key[t * MOBILENET_OPS.length + k] === '1');
    return on.length ? on.join('+') : 'identity';
  });
  return { kind: 'instanas', ops: [...MOBILENET_OP_LABELS], usage, path: key, blocks };
}

type Mobilenet = Extract<SpaceConfig, { name: 'mobilenet' }>;

export const mobilenetArchitecture: SpaceArchitecture<Mobilenet> = {
  topology: (space) => {
    const blocks = mobilenetLayout(space, 32).blocks;
    return {
      edgeNodes: blocks.map((b) => b.index + 1),
      edgeSources: blocks.map((b) => b.index),
      maxInDegree: null,
      edgeLabels: blocks.map((b) => `block ${b.index + 1} (stage ${b.stage + 1})`),
    };
  },
  fromWeights: (_space, weights): SearchResultArchitecture => {
    if (!weights.blocks) throw new Error("An InstaNAS architecture is read from the op-usage matrix ('blocks'); none was given.");
    return { genotype: instanasGenotype(weights.blocks), arch: null, nb201: null };
  },
  fromSelection: (_space, selection: EdgeSelection): SearchResultArchitecture => {
    const usage = (selection.blocks ?? []).map((k) => MOBILENET_OPS.map((_, j) => (k === j ? 1 : 0)));
    return { genotype: instanasGenotype(usage), arch: null, nb201: null };
  },
  cellOps: (genotype) => [...(genotype as InstanasGenotype).blocks],
  scoreCell: () => null,
};
