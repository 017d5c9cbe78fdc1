import { z } from 'zod';
import { candidateRankingFields, refineOneShot, weightTrainingFields } from './one-shot-options';
import type { StrategyDescriptor } from './types';

// Random search with weight sharing (Li & Talwalkar, UAI 2019): train the supernet on uniformly sampled
// paths, then rank uniformly sampled architectures by their validation accuracy with the shared weights.

export const RandomStrategySchema = z
  .object({
    name: z.literal('random'),
    epochs: z.number().int().min(1).max(1000).default(50).describe('Epochs of supernet training on a uniformly sampled path per minibatch.'),
    samples: z.number().int().min(1).max(100000).default(100).describe('Architectures sampled and ranked (in a dry run: table queries).'),
    ...candidateRankingFields,
    ...weightTrainingFields,
  })
  .strict()
  .superRefine(refineOneShot);

export const random: StrategyDescriptor = {
  name: 'random',
  label: 'Random search',
  summary: 'The baseline every NAS paper reports: train a supernet on random paths, then keep the best of N random architectures.',
  paper: 'Li & Talwalkar, Random Search and Reproducibility for Neural Architecture Search (UAI 2019)',
  spaces: ['nb201', 'darts'],
  family: 'sampling',
  snapshotKinds: ['genotype'],
  eventKinds: ['metrics'],
  tableBudget: 'samples',
};
