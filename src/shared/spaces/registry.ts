import { z } from 'zod';
import { DARTS_OPS } from './darts';
import { NB201_OPS } from './nb201';
import { MOBILENET_OPS, MobilenetSpaceSchema } from './mobilenet';
import { SPD_NORMAL_OPS, SPD_REDUCED_OPS, SpdSpaceSchema } from './spd';

// Search-space descriptors: each space's options (with its own defaults) and what the wizard says about it.
// A new space adds a descriptor here, a builder in main/nas/spaces/ and a cell-graph adapter in the renderer.

function opsField(all: readonly string[], spaceLabel: string) {
  return z
    .array(z.string())
    .default([])
    .superRefine((ops, ctx) => {
      const unknown = ops.filter((op) => !all.includes(op));
      if (unknown.length) {
        ctx.addIssue({ code: 'custom', message: `unknown op${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the ${spaceLabel} space has ${all.join(', ')}` });
      } else if (ops.length && ops.every((op) => op === 'none')) {
        ctx.addIssue({ code: 'custom', message: "needs at least one op other than 'none'" });
      }
    })
    .describe('Candidate ops; empty = every op of the space.');
}

const channels = z.number().int().min(2).max(256).default(16).describe('Initial channel count C of the supernet.');

export const Nb201SpaceSchema = z
  .object({
    name: z.literal('nb201'),
    channels,
    cells: z.number().int().min(1).max(30).default(5).describe('Cells per stage (N); three stages with two residual reductions.'),
    ops: opsField(NB201_OPS, 'nb201'),
    allowNone: z.boolean().default(true).describe("Allow 'none' on an edge when discretising (benchmark parity); off = SGAS-style."),
  })
  .strict();

export const DartsSpaceSchema = z
  .object({
    name: z.literal('darts'),
    channels: channels.refine((c) => c % 2 === 0, 'must be even for the DARTS space (FactorizedReduce splits channels in two)'),
    cells: z.number().int().min(1).max(30).default(8).describe('Total cells L; reductions at ⌊L/3⌋ and ⌊2L/3⌋.'),
    nodes: z.number().int().min(2).max(6).default(4).describe('Intermediate nodes per cell.'),
    ops: opsField(DARTS_OPS, 'darts'),
  })
  .strict();

export interface SpaceDescriptor {
  name: string;
  label: string;
  summary: string;
  /** Names of the cell types whose α a search learns (darts: normal and reduce; nb201: one cell). */
  cellTypes: readonly string[];
  ops: readonly string[];
  /** Present when networks of this space train on one thread whatever the run's `threads`: why, in a user's words. */
  singleThreadReason?: string;
}

export const SPACE_DESCRIPTORS = {
  nb201: {
    name: 'nb201',
    label: 'NAS-Bench-201',
    summary: '4 nodes, 6 edges, 5 ops; every cell has a known CIFAR-10/100 and ImageNet16 accuracy in the table.',
    cellTypes: ['cell'],
    ops: NB201_OPS,
  },
  darts: {
    name: 'darts',
    label: 'DARTS',
    summary: 'Normal and reduction cells with 4 nodes, 14 edges and 8 ops; each node keeps 2 inputs.',
    cellTypes: ['normal', 'reduce'],
    ops: DARTS_OPS,
  },
  mobilenet: {
    name: 'mobilenet',
    label: 'MobileNetV2 meta-graph (InstaNAS)',
    summary: '17 blocks × 5 ops (inverted residuals k3/k5 e3/e6, basic block), each on or off per input image.',
    cellTypes: ['blocks'],
    ops: MOBILENET_OPS,
  },
  spd: {
    name: 'spd',
    label: 'SPD manifold (SPDNetNAS)',
    summary: 'Cells over SPD matrices: 2 nodes, 5 edges, 6 normal and 6 reduction ops (BiMap, ReEig, LogEig pooling, Riemannian BN) mixed by Fréchet means.',
    cellTypes: ['normal', 'reduce'],
    ops: [...SPD_NORMAL_OPS, ...SPD_REDUCED_OPS],
    singleThreadReason:
      'SPD networks normalise with a Riemannian BatchNorm (a Karcher mean over the batch), which cannot be synchronised across threads yet, so they train on one thread.',
  },
} as const satisfies Record<string, SpaceDescriptor>;

export const SpaceConfigSchema = z.discriminatedUnion('name', [Nb201SpaceSchema, DartsSpaceSchema, MobilenetSpaceSchema, SpdSpaceSchema]);
export type SpaceConfig = z.output<typeof SpaceConfigSchema>;
export type SpaceName = SpaceConfig['name'];
export const SPACES = Object.keys(SPACE_DESCRIPTORS) as SpaceName[];

/** An image space of cells with C channels and N cells: the pre-flight sizes these by extrapolating from small builds. */
export type CellSpaceConfig = Extract<SpaceConfig, { name: 'nb201' | 'darts' }>;
export function isCellSpace(space: SpaceConfig): space is CellSpaceConfig {
  return space.name === 'nb201' || space.name === 'darts';
}
