// Bundled by run.js (rolldown) into out/bench/compare-store.mjs: the app's own store and history seeder.
export { Store } from '../../../src/main/store/store';
export { seedHistory } from '../../../src/main/store/seed-history';
