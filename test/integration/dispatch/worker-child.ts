// A worker process for the dispatch tests (bundled by harness.ts, run with plain node): `nas-studio worker`
// minus the CLI, with the test's short lock and liveness times. Settings come as JSON in DISPATCH_WORKER.
import { FolderFiles } from '../../../src/main/dispatch/files';
import { DispatchWorker } from '../../../src/main/dispatch/worker';

const s = JSON.parse(process.env.DISPATCH_WORKER ?? '{}') as {
  redisUrl: string;
  name: string;
  filesDir: string;
  workDir: string;
  trainerScript: string;
  appVersion: string;
  timings: Record<string, number>;
};
const worker = new DispatchWorker({
  redis: { url: s.redisUrl },
  name: s.name,
  files: new FolderFiles(s.filesDir, `${s.workDir}/cache`),
  trainerScript: s.trainerScript,
  workDir: s.workDir,
  appVersion: s.appVersion,
  cacheDir: `${s.workDir}/cache`,
  timings: s.timings,
  log: (line) => console.log(`[${s.name}] ${line}`),
});
worker.start().then(
  () => console.log('WORKER READY'),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
const stop = () => void worker.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
