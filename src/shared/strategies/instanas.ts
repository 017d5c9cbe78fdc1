import { z } from 'zod';
import type { StrategyDescriptor } from './types';

// InstaNAS (ALGORITHMS.md §6): a controller picks, per input image, which ops of the MobileNetV2-style
// meta-graph run; its reward mixes correctness with the latency measured on this machine. Defaults are the
// CIFAR README's and the paper's.

export const InstanasStrategySchema = z
  .object({
    name: z.literal('instanas'),
    pretrainEpochs: z.number().int().min(1).max(1000).default(164).describe('Phase 1: one-shot pretraining epochs of the meta-graph (all ops on, then per-sample op dropout).'),
    epochs: z.number().int().min(1).max(5000).default(500).describe('Phase 2: search epochs, each a controller pass then a meta-graph fine-tuning pass.'),
    netLr: z.number().positive().default(0.01).describe('Meta-graph learning rate (SGD, both phases); ×0.1 every lrStep search epochs.'),
    momentum: z.number().min(0).max(1).default(0.9).describe('SGD momentum of the meta-graph.'),
    weightDecay: z.number().min(0).default(1e-4).describe('Weight decay of the meta-graph.'),
    lrStep: z.number().int().min(1).default(100).describe('Search epochs between ×0.1 decays of the meta-graph learning rate.'),
    controllerLr: z.number().positive().default(5e-4).describe('Controller learning rate (Adam, no weight decay).'),
    posReward: z.number().default(30).describe('Reward of a correct prediction at the middle of the latency window (pos_w).'),
    negReward: z.number().default(0).describe('Reward of an incorrect prediction (neg_w).'),
    latencyExponent: z.number().positive().default(1).describe('Exponent of the latency reward R_lat in a correct prediction’s reward.'),
    bound: z.number().gt(0.5).lt(1).default(0.8).describe('Exploration bound a: sampled policies use p′ = a·p + (1 − a)(1 − p), so p′ ∈ [1 − a, a].'),
    entropyWeight: z.number().min(0).default(0.8).describe('Entropy bonus β of the controller loss.'),
    latencyWindow: z
      .enum(['dynamic', 'static'])
      .default('dynamic')
      .describe('dynamic: the window’s upper bound shrinks from 0.7·all-ops to 0.5·baseline over the search; static: [min, all-ops].'),
    variants: z.number().int().min(1).max(5).default(5).describe('Checkpoints kept along the search, evenly spaced (the paper’s variants A–E).'),
    measureSamples: z.number().int().min(0).max(1000).default(30).describe('Test images whose sub-network is timed at batch 1 (the measured latency); 0 = none.'),
  })
  .strict();

export const instanas: StrategyDescriptor = {
  name: 'instanas',
  label: 'InstaNAS',
  summary: 'Instance-aware search: a controller picks a path through a MobileNetV2 meta-graph per image, trading accuracy against latency measured on this machine.',
  paper: 'Cheng, Lin, Chiu, Chen, Juan, Wei & Sun, InstaNAS: Instance-aware Neural Architecture Search (AAAI 2020)',
  spaces: ['mobilenet'],
  family: 'one-shot',
  singleThreadReason: 'InstaNAS trains its meta-graph with a different sub-network per image and its controller by policy gradient; these steps cannot be split across threads yet, so it trains on one thread.',
  snapshotKinds: ['policy'],
  eventKinds: ['metrics'],
  // Every op of every block keeps its activations for the backward pass: ≈ 120 MB an image at width 1 and
  // 32×32 (17 blocks, by the engine's estimate), so the common batch of 64 outgrows WebAssembly's 4 GB.
  commonDefaults: { batchSize: 8 },
};
