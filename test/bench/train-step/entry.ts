// Bundled by run.js (vite build, SSR/lib mode for Node, tfjs bundled in from its ESM entries exactly as the app's
// build does) into out/bench/train-step-engine.mjs, so plain Node benchmarks THE APP's engine: its backend
// choice and wasm kernels, its NB201 supernet, its training step (lossAndGrads) and its optimisers.
export * as tf from '../../../src/main/nas/engine/tf';
export { initBackend } from '../../../src/main/nas/engine/backend';
export { registerWasmTrainingKernels } from '../../../src/main/nas/engine/kernels';
export { buildNb201Supernet } from '../../../src/main/nas/spaces/nb201';
export { lossAndGrads, disposeGrads } from '../../../src/main/nas/strategies/one-shot';
export { estimateActivationBytes, shouldRecompute } from '../../../src/main/nas/engine/recompute';
export { Adam, Sgd } from '../../../src/main/nas/engine/optim';
export { Rng } from '../../../src/main/nas/engine/rng';
export { GradientPool, attachPool } from '../../../src/main/nas/parallel/gradient-pool';
export { spaceImplementation } from '../../../src/main/nas/spaces/registry';
export { SpaceConfigSchema } from '../../../src/shared/spaces/registry';
