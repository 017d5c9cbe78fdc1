import type { SpaceConfig, SpaceName } from '../../../shared/config';
import type { Rng } from '../engine/rng';
import type { Supernet } from '../engine/supernet';
import { SPACE_ARCHITECTURES, type SpaceArchitecture } from './architectures';
import { buildDartsSupernet } from './darts';
import { buildNb201Supernet } from './nb201';
import { buildMobilenetMetaGraph } from './mobilenet';
import { buildSpdSupernet } from './spd';

// Each search space by name: how to build its supernet, plus its architectures (architectures.ts: cell shape,
// read-off and scoring).

export type { CellTopology, EdgeSelection, SearchResultArchitecture, SpaceArchitecture } from './architectures';

export interface SpaceImplementation<S extends SpaceConfig = SpaceConfig> extends SpaceArchitecture<S> {
  build(space: S, inputShape: [number, number, number], classes: number, rng: Rng): Supernet;
}

export const SPACE_IMPLEMENTATIONS: { [N in SpaceName]: SpaceImplementation<Extract<SpaceConfig, { name: N }>> } = {
  nb201: {
    ...SPACE_ARCHITECTURES.nb201,
    build: (space, inputShape, classes, rng) =>
      buildNb201Supernet({ channels: space.channels, cellsPerStage: space.cells, inputShape, classes, ops: space.ops }, rng),
  },
  darts: {
    ...SPACE_ARCHITECTURES.darts,
    build: (space, inputShape, classes, rng) =>
      buildDartsSupernet({ channels: space.channels, layers: space.cells, steps: space.nodes, inputShape, classes, ops: space.ops }, rng),
  },
  mobilenet: { ...SPACE_ARCHITECTURES.mobilenet, build: buildMobilenetMetaGraph },
  spd: { ...SPACE_ARCHITECTURES.spd, build: (space, inputShape, classes, rng) => buildSpdSupernet(space, inputShape, classes, rng) },
};

/** The implementation of `space.name`, typed for the caller's config. */
export function spaceImplementation(space: SpaceConfig): SpaceImplementation {
  return SPACE_IMPLEMENTATIONS[space.name] as SpaceImplementation;
}
