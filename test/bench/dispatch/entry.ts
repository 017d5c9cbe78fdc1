// Bundled by run.js (rolldown) into out/bench/dispatch-lab.mjs: the app's own store, lab coordinator, local
// trainer backend and stream protocol, so the benchmark measures the code the app runs.
export { Store } from '../../../src/main/store/store';
export { startLabCoordinator } from '../../../src/main/dispatch/lab-coordinator';
export { LocalProcessBackend } from '../../../src/main/runs/local-process-backend';
export { defaultDemoDatasetDir } from '../../../src/main/nas/data/resources';
export { validateMnistFolder } from '../../../src/main/nas/data/mnist-family';
export { parseSearchConfig, upgradeStoredConfig } from '../../../src/shared/config';
export { encodeEntry, streamKey } from '../../../src/main/dispatch/protocol';
export { connectRedis } from '../../../src/main/dispatch/redis-server-connection';
