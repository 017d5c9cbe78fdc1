import { z } from 'zod';
import { collapseFields, oneShotTrainingFields, refineOneShot } from './one-shot-options';
import type { StrategyDescriptor } from './types';

// SGAS (ALGORITHMS.md §3): DARTS training that fixes one edge per cell type at every decision epoch.

export const sgasDecisionFields = {
  criterion: z.union([z.literal(1), z.literal(2)]).default(1).describe('1 = edge importance × selection certainty; 2 = also × selection stability.'),
  historySize: z.number().int().min(1).max(20).default(4).describe('Criterion 2: past distributions kept for selection stability.'),
  batchIncrease: z.number().int().min(0).max(256).default(8).describe('Grow the batch by this much after each decision (decided edges free memory).'),
  finalEpochs: z.number().int().min(0).max(100).default(5).describe('Epochs trained after the last decision.'),
};

export const SgasStrategySchema = z
  .object({
    name: z.literal('sgas'),
    warmup: z.number().int().min(0).max(500).default(9).describe('Epochs of plain DARTS before the first decision.'),
    decisionFreq: z.number().int().min(1).max(100).default(5).describe('Epochs between decisions (the paper notes 7 is more stable).'),
    ...sgasDecisionFields,
    ...oneShotTrainingFields,
    ...collapseFields(false),
  })
  .strict()
  .superRefine(refineOneShot);

export const sgas: StrategyDescriptor = {
  name: 'sgas',
  label: 'SGAS',
  summary: 'Sequential greedy search: after warm-up, fix the most important and certain edge of each cell type every few epochs.',
  paper: 'Li, Qian, Delgadillo, Müller, Thabet & Ghanem, SGAS: Sequential Greedy Architecture Search (CVPR 2020)',
  spaces: ['nb201', 'darts'],
  family: 'one-shot',
  snapshotKinds: ['alpha', 'genotype'],
  eventKinds: ['metrics', 'decision', 'eigenvalue', 'collapse'],
};
