// What the dry-run benchmark needs from the app, bundled by run.js (the same code the app and CLI run).
export { parseSearchConfig } from '../../../src/shared/config';
export { runDryRun } from '../../../src/main/nas/dry-run';
export { Nb201Table } from '../../../src/main/nas/estimation/nb201-table';
