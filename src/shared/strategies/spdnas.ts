import { z } from 'zod';
import { oneShotTrainingFields, refineOneShot } from './one-shot-options';
import type { StrategyDescriptor } from './types';

// SPDNetNAS (ALGORITHMS.md §7): DARTS's bilevel search over the SPD cell space, with sparsemax(α) mixing,
// Riemannian SGD for the BiMap (Stiefel) weights and the batch-norm biases (SPD), SGD for the classifier and
// Adam on α.
//
// Live health metrics (metrics events, per step every few steps and at each epoch's end), by name:
//   karcher_residual — mean ‖Σ w_i log(G^{-1/2} X_i G^{-1/2})‖_F of the mixed ops' Fréchet means (0 = exact mean)
//   eig_min, eig_max — the smallest and largest eigenvalue of the activations (stem and cell outputs) on a
//                      validation batch: a spectrum collapsing towards 0 or blowing up is the SPD analogue of NaN.
export const SPDNAS_HEALTH_METRICS = { karcherResidual: 'karcher_residual', eigMin: 'eig_min', eigMax: 'eig_max' } as const;

export const SpdnasStrategySchema = z
  .object({
    name: z.literal('spdnas'),
    epochs: z.number().int().min(1).max(1000).default(100).describe('Search epochs (the reference: 100 on RADAR, 300 on HDM05).'),
    ...oneShotTrainingFields,
    // Overrides the shared field: SPDNetNAS's own default and what each order costs on the SPD network.
    order: z
      .union([z.literal(1), z.literal(2)])
      .default(2)
      .describe(
        'α gradient order. 2 = second order (unrolled through one virtual weight step), as the SPDNetNAS paper and its code (--unrolled); 1 = first order, about half the time per step (npm run bench:spd: 3.6 s vs 7.4 s at batch 64 on 20×20 matrices, wasm).',
      ),
    lrSchedule: z
      .enum(['constant', 'cosine'])
      .default('constant')
      .describe('Weight learning rate: constant, as the reference code (its cosine schedule is commented out), or cosine down to the final rate.'),
    healthEvery: z.number().int().min(1).max(10_000).default(5).describe('Measure the Karcher residual and the eigenvalue range every this many steps.'),
  })
  .strict()
  .superRefine(refineOneShot);

export const spdnas: StrategyDescriptor = {
  name: 'spdnas',
  label: 'SPDNetNAS',
  summary: 'Differentiable search on the SPD manifold: sparsemax-weighted Fréchet means of SPD ops, Riemannian SGD for BiMap weights.',
  paper: 'Sukthanker, Huang, Kumar, Goron Endsjo, Wu & Van Gool, Neural Architecture Search of SPD Manifold Networks (IJCAI 2021)',
  spaces: ['spd'],
  family: 'one-shot',
  snapshotKinds: ['alpha', 'genotype'],
  eventKinds: ['metrics'],
};
