import { z } from 'zod';
import { oneShotTrainingFields, refineOneShot } from './one-shot-options';
import { sgasDecisionFields } from './sgas';
import type { StrategyDescriptor } from './types';

// SGAS-es (ALGORITHMS.md §4): SGAS whose decisions are timed by the Hessian's dominant eigenvalue: a phase
// stops when λ_max's local average jumps, rolls back to an earlier epoch, and decides there.

export const SgasEsStrategySchema = z
  .object({
    name: z.literal('sgas-es'),
    decisionFreq: z.number().int().min(1).max(100).default(15).describe('Longest phase: a decision is forced after this many epochs.'),
    esStart: z.number().int().min(0).max(100).default(0).describe('Epochs at the start of each phase before the stop test may fire.'),
    esWindow: z.number().int().min(1).max(20).default(3).describe('Window w of λ_max’s local moving average.'),
    esDelta: z.number().int().min(1).max(50).default(4).describe('Compare the local average with the one δ epochs earlier.'),
    esFactor: z.number().gt(1).max(10).default(1.3).describe('Stop when the local average grew by more than this factor over δ epochs.'),
    hessianIters: z.number().int().min(2).max(200).default(20).describe('Power-iteration steps for λ_max.'),
    ...sgasDecisionFields,
    ...oneShotTrainingFields,
  })
  .strict()
  .superRefine(refineOneShot);

export const sgasEs: StrategyDescriptor = {
  name: 'sgas-es',
  label: 'SGAS-es',
  summary: 'SGAS with a Hessian-eigenvalue early stop inside each decision phase: decides before the search collapses.',
  paper: 'SGAS-es (thesis; code: Tommy787576/SGAS-es-Final-Version), with the indicator of Zela et al., Understanding and Robustifying Differentiable Architecture Search (ICLR 2020)',
  spaces: ['nb201', 'darts'],
  family: 'one-shot',
  snapshotKinds: ['alpha', 'genotype'],
  eventKinds: ['metrics', 'decision', 'eigenvalue', 'early-stop', 'collapse'],
};
