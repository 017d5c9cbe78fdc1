import { z } from 'zod';

// Options every one-shot (weight-sharing, bilevel) strategy shares: the DARTS engine's optimisers
// (ALGORITHMS.md §2) and the collapse indicator (§4.1 applied to any one-shot search).

/** The supernet weights' optimiser: every weight-sharing strategy has these (path-sampling ones only these). */
export const weightTrainingFields = {
  wLr: z.number().positive().default(0.025).describe('Weight learning rate (SGD), cosine-annealed to the final weight learning rate.'),
  wLrMin: z.number().min(0).default(0.001).describe('Final weight learning rate of the cosine schedule.'),
  momentum: z.number().min(0).max(1).default(0.9).describe('SGD momentum for the weights.'),
  wWeightDecay: z.number().min(0).default(3e-4).describe('Weight decay of the weights.'),
  gradClip: z.number().positive().default(5).describe('Clip the weight gradient to this global norm.'),
};

export const oneShotTrainingFields = {
  order: z.union([z.literal(1), z.literal(2)]).default(1).describe('1 = first-order α gradient; 2 = second order (unrolled, ~2× slower).'),
  ...weightTrainingFields,
  alphaLr: z.number().min(0).default(3e-4).describe('Architecture (α) learning rate (Adam).'),
  alphaWeightDecay: z.number().min(0).default(1e-3).describe('Weight decay of α (also folded into the Hessian).'),
  alphaBeta1: z.number().min(0).lt(1).default(0.5).describe('Adam β1 for α.'),
  alphaBeta2: z.number().min(0).lt(1).default(0.999).describe('Adam β2 for α.'),
};

export const collapseFields = (lambdaMaxDefault: boolean) => ({
  lambdaMax: z
    .boolean()
    .default(lambdaMaxDefault)
    .describe('Track λ_max of the validation-loss Hessian w.r.t. α each epoch (a collapse warning; costs ~2·iterations gradient passes).'),
  hessianIters: z.number().int().min(2).max(200).default(20).describe('Power-iteration steps for λ_max.'),
});

/** Refinements shared by every schema that spreads `oneShotTrainingFields`. */
export function refineOneShot(c: { wLr: number; wLrMin: number }, ctx: z.RefinementCtx): void {
  if (c.wLrMin > c.wLr) ctx.addIssue({ code: 'custom', path: ['wLrMin'], message: 'must not exceed the weight learning rate' });
}

/** Supernet training epochs and validation batches per candidate, for the path-sampling strategies. */
export const candidateRankingFields = {
  valBatches: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .describe('Validation batches each candidate is scored on with the shared weights (more = a steadier ranking, slower).'),
};

const OneShotTrainingSchema = z.object(oneShotTrainingFields);
export type OneShotTrainingOptions = z.output<typeof OneShotTrainingSchema>;
const WeightTrainingSchema = z.object(weightTrainingFields);
export type WeightTrainingOptions = z.output<typeof WeightTrainingSchema>;
