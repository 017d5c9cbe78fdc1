import { z } from 'zod';
import { refineOneShot, weightTrainingFields } from './one-shot-options';
import type { StrategyDescriptor } from './types';

// MdeNAS (ALGORITHMS.md §5): a categorical distribution per edge, learnt without gradients from the epochs
// each op was trained and the accuracy it reached (the performance-ranking hypothesis).

export const MdenasStrategySchema = z
  .object({
    name: z.literal('mdenas'),
    epochs: z
      .number()
      .int()
      .min(1)
      .max(5000)
      .default(200)
      .describe('Most epochs of supernet training (one sampled architecture each); a dry run makes one table query per epoch.'),
    distributionLr: z.number().gt(0).max(1).default(0.01).describe('Distribution learning rate α_p: the mass one won comparison moves.'),
    sampling: z
      .enum(['epoch', 'minibatch'])
      .default('epoch')
      .describe('Sample a new path once per epoch (the paper) or for every minibatch, updating the distribution once per epoch.'),
    accuracy: z
      .enum(['latest', 'mean'])
      .default('latest')
      .describe('An op’s accuracy: the latest one measured while it was sampled, or the running mean of them.'),
    update: z
      .enum(['transfer', 'shift'])
      .default('transfer')
      .describe('transfer: each won comparison moves α_p from loser to winner, never below 0; shift: add α_p·(wins − losses), then shift and renormalise.'),
    convergence: z
      .enum(['max-probability', 'entropy', 'epochs'])
      .default('max-probability')
      .describe('Stop when every edge has an op above the threshold, when the entropy drops below its threshold, or only after all epochs.'),
    threshold: z.number().gt(0).max(1).default(0.9).describe('Max-probability convergence: every edge’s top op at least this likely.'),
    entropyThreshold: z.number().gt(0).lt(1).default(0.1).describe('Entropy convergence: every edge’s normalised entropy below this.'),
    ...weightTrainingFields,
  })
  .strict()
  .superRefine(refineOneShot);

export const mdenas: StrategyDescriptor = {
  name: 'mdenas',
  label: 'MdeNAS',
  summary: 'Multinomial distribution learning: sample a path per epoch, and move probability to ops that reached higher accuracy in fewer epochs.',
  paper: 'Zheng, Ji, Tang, Wang, Wang, Chen & Tian, Multinomial Distribution Learning for Effective Neural Architecture Search (ICCV 2019)',
  spaces: ['nb201', 'darts'],
  family: 'sampling',
  snapshotKinds: ['probabilities', 'genotype'],
  eventKinds: ['metrics'],
  tableBudget: 'epochs',
};
