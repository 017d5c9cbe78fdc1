import type { LabRoles } from '../services/dispatch-service';
import { startLabCoordinator, type LabContext, type LabNetworkOptions } from './lab-coordinator';
import { defaultWorkerName, startLabWorker } from './lab-worker';

// The lab roles the app's Settings (and `serve --coordinator`) start through DispatchService: built once per
// app by the composition root, which hands in the store and dataset resolution (LabContext).

export interface LabRolesOptions {
  dataDir: string;
  appVersion: string;
  trainerScript: string;
  network?: LabNetworkOptions;
  log?: (line: string) => void;
}

export function createLabRoles(o: LabRolesOptions): (context: LabContext) => LabRoles {
  return (context) => ({
    startCoordinator: ({ redis }) => startLabCoordinator({ ...o.network, dataDir: o.dataDir, context, appVersion: o.appVersion, redisUrl: redis, log: o.log }),
    joinLab: ({ code, name }) => startLabWorker({ dataDir: o.dataDir, join: code, name: name || defaultWorkerName(), appVersion: o.appVersion, trainerScript: o.trainerScript, log: o.log }),
  });
}
