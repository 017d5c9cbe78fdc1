// The search the cross-process resume test runs (not a spec file): shared by resume-process.spec.ts and the
// child script resume-child.ts, so the parent and both children build exactly the same data, config and net.
import { Rng, hashSeed } from '../../../src/main/nas/engine/rng';
import type { Supernet } from '../../../src/main/nas/engine/supernet';
import { buildDartsSupernet } from '../../../src/main/nas/spaces/darts';
import { DartsSearch, type DartsConfig, type SearchControl } from '../../../src/main/nas/strategies/darts';
import type { TrainerEvent } from '../../../src/shared/events';
import { balancedSubset, type ImageSet } from '../../../src/main/nas/data/image-set';
import { loadDemoDataset } from '../../../src/main/nas/data/mnist-family';
import { DEMO_NORMALIZATION, testConfig } from '../../unit/nas/fixtures';

/** Second order, augmentation (random crop + flip, 32×32) and recompute on: every piece of state a resume must carry. */
export const CONFIG: DartsConfig = testConfig({ order: 2, augment: true, recompute: true, epochs: 2, batchSize: 16, seed: 11 });
/** 64 real 28×28 demo images (augmentation pads by 4 and crops 32×32) → 32 train / 32 val → 2 steps per epoch. */
let images: ImageSet | null = null;
function dataset(): ImageSet {
  images ??= balancedSubset(loadDemoDataset().train, 64, 0);
  return images;
}
/** L = 3: cell 0 normal, cells 1 and 2 reduction, so both α_normal and α_reduce train. */
export const LAYERS = 3;
/**
 * Every kind of op state at a fraction of the cost (one all-op step takes about a minute here): pools with
 * their BN, skip (FactorizedReduce on reduction edges), a sep_conv, and `none`; two nodes per cell (5 edges).
 */
export const OPS = ['none', 'max_pool_3x3', 'skip_connect', 'sep_conv_3x3'];
export const NODES = 2;

export function dartsNet(initSeed: number): Supernet {
  return buildDartsSupernet({ channels: 4, layers: LAYERS, steps: NODES, ops: OPS, inputShape: [32, 32, 1], classes: dataset().classes }, new Rng(hashSeed(initSeed, 1)));
}

export function newDartsSearch(checkpointDir: string, events: TrainerEvent[], initSeed = CONFIG.seed): DartsSearch {
  return new DartsSearch(CONFIG, dartsNet(initSeed), { train: dataset(), normalization: DEMO_NORMALIZATION }, (e) => events.push(e), (epoch, step) =>
    `${checkpointDir}/epoch-${epoch}-step-${step}.ckpt`,
  );
}

export const never: SearchControl = { interrupt: () => null };
/** Pauses when polled before step `n` (1-based count of polls), i.e. after n − 1 steps. */
export function pauseBefore(n: number): SearchControl {
  let polls = 0;
  return { interrupt: () => (++polls === n ? 'pause' : null) };
}
