import { z } from 'zod';
import { architectureProblem, parseArchitecture } from './retrain-architecture';
import type { StrategyDescriptor } from './types';

// Retrain (the evaluation stage): train one given architecture from scratch as a stand-alone network, then
// measure it on the test split. Defaults are each space's evaluation recipe: DARTS/SGAS-es (ALGORITHMS §1.1,
// §4.4) SGD 0.025 cosine to 0, momentum 0.9, weight decay 3e-4, clip 5, auxiliary head 0.4, drop-path 0.2,
// cutout 16; NAS-Bench-201 (its benchmark training) SGD 0.1, weight decay 5e-4, no cutout. Learning rate,
// weight decay and cutout left empty (null) take the space's value (retrainRecipe). The space config sets the
// network's size (channels, cells); the batch size is the common field. SPD space (ALGORITHMS §7.3): the cell's
// network, or the SPDNet baseline (`network`), trains with Riemannian SGD at the constant rate `lr` (empty:
// 0.025) and the batch size; the image recipe's momentum, weight decay, clip, auxiliary head, drop-path and
// cutout do not apply to SPD networks.

export { architectureProblem, parseArchitecture, type ParsedArchitecture } from './retrain-architecture';

export const RetrainStrategySchema = z
  .object({
    name: z.literal('retrain'),
    // Empty by default so forms can start from the schema's defaults; a run with no architecture is refused
    // when it is created (architectureProblem) and when it starts.
    architecture: z
      .string()
      .trim()
      .default('')
      .superRefine((text, ctx) => {
        if (text === '') return;
        try {
          parseArchitecture(text);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message });
        }
      })
      .describe('The architecture to train: a NAS-Bench-201 arch string (|op~0|+|…|) or a DARTS genotype as JSON {normal, reduce}.'),
    network: z
      .enum(['architecture', 'spdnet'])
      .default('architecture')
      .describe('SPD space: train the architecture (the search’s cell), or the hand-designed SPDNet baseline (BiMap–ReEig) on the same data, for one table.'),
    epochs: z.number().int().min(1).max(5000).default(600).describe('Training epochs (the recipe trains 600; set the budget you can afford).'),
    lr: z.number().positive().max(10).nullable().default(null).describe('Initial SGD learning rate, cosine-annealed to the final one (empty: the space’s recipe, 0.025 for DARTS, 0.1 for NAS-Bench-201).'),
    lrMin: z.number().min(0).default(0).describe('Final learning rate of the cosine schedule.'),
    momentum: z.number().min(0).max(1).default(0.9).describe('SGD momentum.'),
    weightDecay: z.number().min(0).nullable().default(null).describe('Weight decay, L2 added to the gradient (empty: the space’s recipe, 3e-4 for DARTS, 5e-4 for NAS-Bench-201).'),
    gradClip: z.number().positive().default(5).describe('Clip the gradient to this global norm.'),
    auxiliary: z.boolean().default(true).describe('DARTS space: an auxiliary classifier at 2/3 depth adds its loss during training.'),
    auxiliaryWeight: z.number().min(0).max(10).default(0.4).describe('Weight of the auxiliary head’s loss.'),
    dropPath: z.number().min(0).lt(1).default(0.2).describe('DARTS space: drop-path probability of each op, ramped up linearly over the epochs.'),
    cutout: z.enum(['recipe', 'on', 'off']).default('recipe').describe('Cut a random square out of every training image (recipe: on for DARTS, off for NAS-Bench-201).'),
    cutoutLength: z.number().int().min(1).max(64).default(16).describe('Side of the cutout square in pixels.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.lr !== null && c.lrMin > c.lr) ctx.addIssue({ code: 'custom', path: ['lrMin'], message: 'must not exceed the learning rate' });
    if (c.network === 'spdnet' && c.architecture !== '' && parseSpace(c.architecture) !== 'spd') {
      ctx.addIssue({ code: 'custom', path: ['network'], message: 'the SPDNet baseline reads SPD matrices: retrain an SPD search, or train the architecture' });
    }
  });

export const retrain: StrategyDescriptor = {
  name: 'retrain',
  label: 'Retrain',
  summary: 'Train one architecture from scratch as a stand-alone network and measure test accuracy, parameters, FLOPs and latency.',
  paper: 'Liu, Simonyan & Yang, DARTS: Differentiable Architecture Search (ICLR 2019), evaluation recipe; Dong & Yang, NAS-Bench-201 (ICLR 2020), macro network',
  spaces: ['nb201', 'darts', 'spd'],
  family: 'evaluation',
  snapshotKinds: ['genotype'],
  eventKinds: ['metrics'],
  optionsProblem: (options, space) => {
    // The SPDNet baseline is hand-designed: it needs SPD data, not an architecture (one may name the search).
    if (options.network === 'spdnet') {
      if (space.name !== 'spd') return { field: 'network', message: 'the SPDNet baseline trains on SPD matrices: choose the SPD space, or train the architecture' };
      if (String(options.architecture ?? '') === '') return null;
    }
    const problem = architectureProblem(space, String(options.architecture ?? ''));
    return problem ? { field: 'architecture', message: problem } : null;
  },
};

function parseSpace(text: string): string | null {
  try {
    return parseArchitecture(text).space;
  } catch {
    return null;
  }
}

/** The recipe values a retrain trains with: the options, with unset ones taken from the space's recipe. */
export function retrainRecipe(space: string, o: { lr?: number | null; weightDecay?: number | null; cutout?: 'recipe' | 'on' | 'off' }): { lr: number; weightDecay: number; cutout: boolean } {
  const nb201 = space === 'nb201';
  const cutout = o.cutout === 'on' ? true : o.cutout === 'off' ? false : !nb201;
  return { lr: o.lr ?? (nb201 ? 0.1 : 0.025), weightDecay: o.weightDecay ?? (nb201 ? 5e-4 : 3e-4), cutout };
}

/**
 * What a retrain launched from a finished search may set (runs.retrain): the budget and recipe, the network
 * size and the common fields; the architecture is the search's own.
 */
export const RetrainOverridesSchema = z
  .object({
    name: z.string().trim().max(200).optional(),
    dataset: z.string().min(1).optional(),
    batchSize: z.number().int().min(2).max(1024).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
    trainLimit: z.number().int().min(0).optional(),
    // Each space checks its own bounds (SPD channels start at 1) when the config is parsed.
    space: z.object({ channels: z.number().int().min(1).max(256).optional(), cells: z.number().int().min(1).max(30).optional() }).strict().optional(),
    strategy: z
      .object({
        network: z.enum(['architecture', 'spdnet']).optional(),
        epochs: z.number().int().min(1).max(5000).optional(),
        lr: z.number().positive().max(10).optional(),
        lrMin: z.number().min(0).optional(),
        momentum: z.number().min(0).max(1).optional(),
        weightDecay: z.number().min(0).optional(),
        gradClip: z.number().positive().optional(),
        auxiliary: z.boolean().optional(),
        auxiliaryWeight: z.number().min(0).max(10).optional(),
        dropPath: z.number().min(0).lt(1).optional(),
        cutout: z.enum(['recipe', 'on', 'off']).optional(),
        cutoutLength: z.number().int().min(1).max(64).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type RetrainOverrides = z.infer<typeof RetrainOverridesSchema>;
