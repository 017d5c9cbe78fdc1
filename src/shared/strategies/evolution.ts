import { z } from 'zod';
import { candidateRankingFields, refineOneShot, weightTrainingFields } from './one-shot-options';
import type { StrategyDescriptor } from './types';

// Regularised evolution (Real, Aggarwal, Huang & Le, AAAI 2019): tournament selection, one mutation per
// child, and the oldest member dies. Fitness from the table (dry run) or from shared supernet weights.

export const EvolutionStrategySchema = z
  .object({
    name: z.literal('evolution'),
    epochs: z.number().int().min(1).max(1000).default(50).describe('Epochs of supernet training on a uniformly sampled path per minibatch.'),
    samples: z.number().int().min(2).max(100000).default(100).describe('Architectures evaluated in all, the first population included (in a dry run: table queries).'),
    population: z.number().int().min(2).max(10000).default(20).describe('Population size P: the oldest member dies when a child is born.'),
    sampleSize: z.number().int().min(1).max(10000).default(5).describe('Tournament size S: the fittest of S random members is the parent.'),
    ...candidateRankingFields,
    ...weightTrainingFields,
  })
  .strict()
  .superRefine((c, ctx) => {
    refineOneShot(c, ctx);
    if (c.sampleSize > c.population) ctx.addIssue({ code: 'custom', path: ['sampleSize'], message: `must not exceed the population (${c.population})` });
    if (c.population > c.samples) ctx.addIssue({ code: 'custom', path: ['population'], message: `must not exceed the samples (${c.samples}): the first population is sampled at random` });
  });

export const evolution: StrategyDescriptor = {
  name: 'evolution',
  label: 'Regularised evolution',
  summary: 'Age-regularised tournament evolution: mutate the best of a random sample, retire the oldest.',
  paper: 'Real, Aggarwal, Huang & Le, Regularized Evolution for Image Classifier Architecture Search (AAAI 2019)',
  spaces: ['nb201', 'darts'],
  family: 'sampling',
  snapshotKinds: ['genotype'],
  eventKinds: ['metrics'],
  tableBudget: 'samples',
};
