// Bundled by run.js (vite.config.ts, the train-step bench's build settings) into out/bench/spd-engine.mjs, so
// plain Node benchmarks THE APP's SPD numerics and its SPDNetNAS search step, not a copy of them.
export * as tf from '../../../src/main/nas/engine/tf';
export { initBackend } from '../../../src/main/nas/engine/backend';
export { logEig } from '../../../src/main/nas/engine/spd';
export { Rng, hashSeed } from '../../../src/main/nas/engine/rng';
export { generateSpdSynthetic } from '../../../src/main/nas/data/spd-synthetic';
export { balancedSpdSubset } from '../../../src/main/nas/data/spd-sets';
export { buildSpdSupernet } from '../../../src/main/nas/spaces/spd';
export { SpdnasSearch } from '../../../src/main/nas/strategies/spdnas';
export { parseSearchConfig } from '../../../src/shared/config';
