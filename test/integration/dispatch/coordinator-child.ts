// A coordinator process for the dispatch tests (bundled by harness.ts): follows the runs a test created in the
// SQLite file, so the test can kill it with SIGKILL and start another. Settings as JSON in DISPATCH_COORDINATOR.
import { DispatchCoordinator } from '../../../src/main/dispatch/coordinator';
import { FolderFiles } from '../../../src/main/dispatch/files';
import { resolveDataReference } from '../../../src/main/nas/job';
import { Store } from '../../../src/main/store/store';

const s = JSON.parse(process.env.DISPATCH_COORDINATOR ?? '{}') as { redisUrl: string; dbPath: string; filesDir: string; appVersion: string; dataset: string };
const store = Store.open(s.dbPath);
const coordinator = new DispatchCoordinator({
  store,
  redis: { url: s.redisUrl },
  files: new FolderFiles(s.filesDir),
  appVersion: s.appVersion,
  resolveDataset: () => ({ ref: resolveDataReference(s.dataset) }),
  pollMs: 50,
  lostCheckMs: 300,
});
coordinator.start().then(
  () => console.log('COORDINATOR READY'),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
// Runs the test adds while this process lives are dispatched by it (the test writes a line per run id).
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  for (const id of chunk.split('\n').filter(Boolean)) void coordinator.submit(Number(id));
});
