import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { isDryRun, type SearchConfig } from '../shared/config';
import type { z } from 'zod';
import { RUN_PAGE_MAX, channels, type Channel, type ChannelMap, type PushEvent, type ResultOf } from '../shared/api';
import { NotFoundError, UserError, describeArgsError } from './app-errors';
import type { ExecutionBackend } from './runs/execution-backend';
import { LocalProcessBackend } from './runs/local-process-backend';
import { RunManager } from './runs/run-manager';
import { BenchmarkService } from './services/benchmark-service';
import { BundleService } from './services/bundle-service';
import { ComparisonService } from './services/comparison-service';
import { RunHistoryService } from './services/run-history-service';
import { InstanasExportService } from './services/instanas-export-service';
import { RetrainService } from './services/retrain-service';
import { DatasetsService } from './services/datasets-service';
import { BackendDoctor, withAutoVerdict } from './services/backend-doctor';
import { RunEstimateService } from './services/run-estimate-service';
import { DispatchService, type LabRoles } from './services/dispatch-service';
import type { LabContext } from './dispatch/lab-coordinator';
import type { Where } from '../shared/dispatch';
import { Store } from './store/store';
import { startDailyBackups } from './store/backup';
import { LATEST_SCHEMA_VERSION } from './store/migrations/index';
import { prepareDataDir } from './data-dir';
import { acquireInstanceLock } from './instance-lock';
import { APP_VERSION } from './version';

// Composition root: builds the store, the services and the run manager from a data folder. The Electron
// entry and the headless server both call it; nothing else wires things together.

export interface AppOptions {
  dataDir: string;
  mode: 'electron' | 'headless';
  /** The trainer program forked per run (out/main/trainer.js). */
  trainerScript: string;
  /** Where runs execute; default: a Node child process per run. */
  backend?: ExecutionBackend;
  /**
   * How this app coordinates a lab or joins one (Settings); without it, those requests say the build cannot.
   * A function gets what a coordinator needs from this app (dispatch/lab-roles.ts createLabRoles).
   */
  labRoles?: LabRoles | ((context: LabContext) => LabRoles);
}

/** Handlers receive arguments already validated (and defaulted) by the channel's schema in invoke(). */
export type Handlers = { [K in Channel]: (args: z.output<ChannelMap[K]['args']>) => ResultOf<K> | Promise<ResultOf<K>> };

export { UserError } from './app-errors';

export interface NasApp {
  /** Validates the args with the contract's schema, then runs the handler. */
  invoke(channel: string, rawArgs: unknown): Promise<unknown>;
  onPush(listener: (e: PushEvent) => void): () => void;
  readonly runs: RunManager;
  readonly store: Store;
  /** The lab role (standalone, coordinator, worker): `serve --coordinator` starts or adopts one through it. */
  readonly dispatch: DispatchService;
  close(): Promise<void>;
}

export function createApp(o: AppOptions): NasApp {
  prepareDataDir(o.dataDir);
  // First of all: a second instance must be refused before it reads the history and marks the live run of the
  // first one interrupted.
  const lock = acquireInstanceLock(o.dataDir, o.mode === 'electron' ? 'electron' : 'server');
  const dbPath = join(o.dataDir, 'nas-studio.db');
  let store: Store;
  try {
    store = Store.open(dbPath);
  } catch (err) {
    lock.release();
    throw err;
  }
  const backups = startDailyBackups(store.db, dbPath, (line) => console.warn(line));
  const datasets = new DatasetsService(store, o.dataDir);
  const benchmarks = new BenchmarkService(o.dataDir);
  const comparison = new ComparisonService(store);
  const doctor = new BackendDoctor({ dataDir: o.dataDir, trainerScript: o.trainerScript, appVersion: APP_VERSION, warn: (line) => console.warn(line) });
  const estimates = new RunEstimateService(doctor, (id) => datasets.list().find((d) => String(d.id) === id) ?? null);
  const runs = new RunManager({
    store,
    backend: withAutoVerdict(o.backend ?? new LocalProcessBackend(o.trainerScript), doctor),
    dataDir: o.dataDir,
    appVersion: APP_VERSION,
    resolveDataset: (config) => datasets.resolve(config),
    benchmarkTable: () => benchmarks.activeTablePath(),
  });
  const bundles = new BundleService({ store, dataDir: o.dataDir, runDir: (id) => runs.runDir(id), appVersion: APP_VERSION, schemaVersion: LATEST_SCHEMA_VERSION });
  const history = new RunHistoryService(store, runs);
  const retrains = new RetrainService(store, runs);
  const instanasExports = new InstanasExportService(store, o.dataDir, (id) => runs.runDir(id));
  const labContext: LabContext = { store, resolveDataset: (config) => datasets.resolve(config), benchmarkTable: () => benchmarks.activeTablePath() };
  // While this app coordinates a lab, runs sent to workers go through its dispatcher, whose stream events reach
  // the same subscribers as the local run's.
  const labListeners = new Set<(e: PushEvent) => void>();
  let unfollowLab: (() => void) | null = null;
  const dispatch = new DispatchService((typeof o.labRoles === 'function' ? o.labRoles(labContext) : o.labRoles) ?? null, (session) => {
    runs.setRemote(session?.dispatcher ?? null);
    unfollowLab?.();
    unfollowLab = session?.dispatcher?.onPush((e) => labListeners.forEach((l) => l(e))) ?? null;
  });
  const ok = { ok: true as const };
  // A dry run trains nothing: its backend never loads. A run sent to a worker loads it there, not here.
  const refuseUnloadable = (config: SearchConfig, where: Where | undefined) => {
    const problem = isDryRun(config) || (where !== undefined && where !== 'local') ? null : doctor.unloadable(config.backend);
    if (problem) throw new UserError(problem.message, problem.hint);
  };
  const requireRun = (id: number) => {
    const r = store.runs.get(id);
    if (!r) throw new NotFoundError(`There is no run ${id}.`, 'Pick a run from the runs list; it may have been deleted.');
    return r;
  };

  const handlers: Handlers = {
    'app.info': () => ({ version: APP_VERSION, dataDir: o.dataDir, mode: o.mode, interruptedRuns: runs.interruptedRuns, cores: availableParallelism(), storage: runs.storageStatus() }),
    // One page at most: a long history is never one response.
    'system.backends': ({ probe }) => doctor.verdict({ probe }),
    'runs.estimate': ({ config }) => estimates.estimate(config),
    'runs.list': (q) => store.runs.list({ ...q, limit: q.limit ?? RUN_PAGE_MAX }),
    'runs.facets': (filter) => store.runs.facets(filter),
    'runs.setTags': ({ id, tags }) => history.setTags(id, tags),
    'runs.setNote': ({ id, note }) => history.setNote(id, note),
    'runs.createGroup': ({ config, seeds, where }) => (refuseUnloadable(config, where), history.createGroup(config, seeds, where)),
    'runs.exportList': (args) => history.exportList(args),
    'runs.get': ({ id }) => requireRun(id),
    'runs.create': ({ config, where }) => (refuseUnloadable(config, where), { id: runs.create(config, { where }) }),
    'runs.retrain': ({ id, overrides }) => retrains.retrain(id, overrides),
    'runs.cancel': async ({ id }) => (await runs.cancel(id), ok),
    'runs.pause': async ({ id }) => (await runs.pause(id), ok),
    'runs.resume': ({ id }) => (runs.resume(id), ok),
    'runs.delete': ({ id }) => (runs.delete(id), ok),
    'runs.metrics': ({ id, maxPoints }) => (requireRun(id), store.metrics.series(id, maxPoints ?? 2000)),
    'runs.snapshots': ({ id, kind }) => (requireRun(id), store.snapshots.list(id, kind)),
    'runs.logs': ({ id }) => (requireRun(id), store.logs.list(id)),
    'runs.compare': ({ ids, metrics, points }) => comparison.compare(ids, { metrics, points }),
    'runs.searchHistory': ({ id }) => (requireRun(id), store.searchHistory.get(id)),
    'datasets.list': () => datasets.list(),
    'datasets.import': (args) => datasets.import(args),
    'datasets.importBuiltin': ({ which }) => datasets.importBuiltin(which),
    'datasets.available': () => datasets.available(),
    'datasets.samples': ({ id, perClass }) => datasets.samples(id, perClass),
    'datasets.images': ({ id, split, indices }) => datasets.images(id, split, indices),
    'datasets.importSpd': (args) => datasets.importSpd(args),
    'datasets.spdSamples': ({ id, perClass }) => datasets.spdSamples(id, perClass),
    'datasets.delete': ({ id }) => (datasets.delete(id), ok),
    'benchmarks.info': () => benchmarks.info(),
    'benchmarks.import': ({ path }) => benchmarks.importTable(path),
    'benchmarks.reset': () => benchmarks.reset(),
    'runs.exportBundle': ({ id, path }) => bundles.exportRun(id, path),
    'runs.importBundle': ({ path }) => bundles.importBundle(path),
    'runs.exportVariant': ({ id, label }) => instanasExports.exportVariant(id, label),
    'dispatch.status': () => dispatch.status(),
    'dispatch.startCoordinator': ({ redis }) => dispatch.startCoordinator({ redis }),
    'dispatch.stop': () => dispatch.stop(),
    'dispatch.join': ({ code, name }) => dispatch.join({ code, name }),
    'dispatch.revokeWorker': ({ name }) => dispatch.revokeWorker(name),
    'workers.list': () => dispatch.workers(),
  };

  return {
    runs,
    store,
    dispatch,
    async invoke(channel, rawArgs) {
      if (!Object.hasOwn(channels, channel)) throw new NotFoundError(`Unknown request '${channel}'.`, `The requests are: ${Object.keys(channels).join(', ')}.`);
      const key = channel as Channel;
      const parsed = channels[key].args.safeParse(rawArgs ?? {});
      if (!parsed.success) throw new UserError(`Invalid request ${channel}: ${describeArgsError(parsed.error, rawArgs)}`);
      const handler = handlers[key] as (a: unknown) => unknown;
      return await handler(parsed.data);
    },
    onPush: (l) => {
      const off = runs.onPush(l);
      labListeners.add(l);
      return () => {
        off();
        labListeners.delete(l);
      };
    },
    async close() {
      await dispatch.close();
      await runs.close();
      await backups.stop();
      store.close();
      lock.release();
    },
  };
}
