import { z } from 'zod';
import { collapseFields, oneShotTrainingFields, refineOneShot } from './one-shot-options';
import type { StrategyDescriptor } from './types';

export const DartsStrategySchema = z
  .object({
    name: z.literal('darts'),
    epochs: z.number().int().min(1).max(1000).default(50).describe('Search epochs.'),
    ...oneShotTrainingFields,
    ...collapseFields(false),
  })
  .strict()
  .superRefine(refineOneShot);

export const darts: StrategyDescriptor = {
  name: 'darts',
  label: 'DARTS',
  summary: 'Differentiable search: learn softmax-relaxed α with the weights, then keep the strongest op per edge.',
  paper: 'Liu, Simonyan & Yang, DARTS: Differentiable Architecture Search (ICLR 2019)',
  spaces: ['nb201', 'darts'],
  family: 'one-shot',
  snapshotKinds: ['alpha', 'genotype'],
  eventKinds: ['metrics', 'eigenvalue', 'collapse'],
};
