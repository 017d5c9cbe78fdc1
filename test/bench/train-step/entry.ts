// Bundled by run.js (rolldown) into out/bench/engine-backend.mjs so plain Node can use the engine's TS modules.
export { initBackend } from '../../../src/main/nas/engine/backend';
export * from '../../../src/main/nas/engine/kernels';
