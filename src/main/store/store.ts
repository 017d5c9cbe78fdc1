import type { TrainerEvent } from '../../shared/events';
import { AnnotationRepository } from './annotation-repository';
import { ArtifactRepository } from './artifact-repository';
import { DatasetRepository } from './dataset-repository';
import { DispatchRepository } from './dispatch-repository';
import { LogRepository } from './log-repository';
import { MetricRepository, type MetricPoint } from './metric-repository';
import { openDatabase, type OpenDatabaseOptions, type SqliteDatabase } from './open-database';
import { RunRepository } from './run-repository';
import { resultDetails } from './result-details';
import { SearchHistoryRepository } from './search-history-repository';
import { SnapshotRepository } from './snapshot-repository';

/**
 * The NAS Studio history: one SQLite file, one repository per table family.
 *
 * Guarantees:
 * - Single writer: the main process owns the one writing connection. Other connections (tests, a CLI reading
 *   history) may read at any time; WAL means a reader never waits for the writer and sees only committed
 *   transactions, so a batch is visible whole or not at all.
 * - Every method is synchronous and durable on return (to the last checkpoint under `synchronous = NORMAL`).
 * - `ingest` and `transaction` are all-or-nothing: a throw rolls back every write of the call.
 * - Methods throw the SQLite error (SQLITE_CONSTRAINT_*) when a row would break the schema, e.g. metrics for
 *   a run that does not exist.
 */
export class Store {
  readonly runs: RunRepository;
  readonly metrics: MetricRepository;
  readonly snapshots: SnapshotRepository;
  readonly artifacts: ArtifactRepository;
  readonly logs: LogRepository;
  readonly datasets: DatasetRepository;
  readonly searchHistory: SearchHistoryRepository;
  readonly annotations: AnnotationRepository;
  readonly dispatch: DispatchRepository;
  private readonly ingestTx: (runId: number, events: readonly TrainerEvent[], now: number) => void;

  static open(path: string, options?: OpenDatabaseOptions): Store {
    return new Store(openDatabase(path, options));
  }

  constructor(readonly db: SqliteDatabase) {
    this.runs = new RunRepository(db);
    this.metrics = new MetricRepository(db);
    this.snapshots = new SnapshotRepository(db);
    this.artifacts = new ArtifactRepository(db);
    this.logs = new LogRepository(db);
    this.datasets = new DatasetRepository(db);
    this.searchHistory = new SearchHistoryRepository(db);
    this.annotations = new AnnotationRepository(db);
    this.dispatch = new DispatchRepository(db);
    this.ingestTx = db.transaction((runId: number, events: readonly TrainerEvent[], now: number) =>
      this.writeEvents(runId, events, now),
    );
  }

  /**
   * Runs `fn` in one transaction: commit on return, rollback on throw; nested calls become savepoints.
   * `fn` must be synchronous: an async function would commit at its first await, so it is refused (and
   * rolled back) instead.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(() => {
      const result = fn();
      if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
        throw new Error('store.transaction(fn): fn returned a Promise; gather the data first, then write synchronously.');
      }
      return result;
    })();
  }

  /**
   * Persists a batch of one run's trainer events in one transaction: metrics → metrics (one upsert pass),
   * snapshot → snapshots, checkpoint → artifacts and lastCheckpointEpoch, log and error → logs, result →
   * arch/genotype/nb201/summary/evaluation (and bestAccuracy, the NB201 accuracy and rank, the test accuracy), environment → environment, progress → progress (the last one wins).
   * An event that cannot be stored (unknown type, a value breaking a constraint, an unknown run) rolls back the
   * whole batch and throws. `now` stamps the log lines (events carry no time of their own).
   */
  ingest(runId: number, events: readonly TrainerEvent[], now: number = Date.now()): void {
    if (events.length === 0) return;
    this.ingestTx(runId, events, now);
  }

  /**
   * Folds the query planner's statistics into the file (cheap), then closes the connection. Never throws: a
   * full, read-only or damaged database must not turn a clean shutdown into a crash (what was committed is
   * already on disk; `optimize` is only a hint).
   */
  close(): void {
    if (!this.db.open) return;
    try {
      this.db.pragma('optimize');
    } catch {
      /* statistics only */
    }
    try {
      this.db.close();
    } catch (err) {
      console.warn(`Closing the database ${this.db.name} failed: ${(err as Error).message}`);
    }
  }

  private writeEvents(runId: number, events: readonly TrainerEvent[], now: number): void {
    const points: MetricPoint[] = [];
    let progress: number | null = null;
    for (const event of events) {
      switch (event.type) {
        case 'metrics':
          for (const name in event.values) {
            points.push({ name, step: event.step, epoch: event.epoch, value: event.values[name]! });
          }
          break;
        case 'progress':
          progress = progressFraction(event);
          break;
        case 'snapshot':
          this.snapshots.add(runId, event.epoch, event.kind, event.payload);
          break;
        case 'checkpoint':
          this.artifacts.add(
            runId,
            { kind: 'checkpoint', epoch: event.epoch, path: event.path, size: event.size, checksum: event.checksum },
            now,
          );
          break;
        case 'log':
          this.logs.add(runId, { time: now, level: event.level, message: event.message });
          break;
        case 'error':
          this.logs.add(runId, {
            time: now,
            level: 'error',
            message: event.hint ? `${event.message} (${event.hint})` : event.message,
          });
          break;
        case 'result':
          this.runs.setResult(runId, {
            arch: event.arch,
            genotype: event.genotype,
            nb201: event.nb201,
            summary: event.summary,
            valAccuracy: event.valAccuracy,
            evaluation: event.evaluation ?? null,
            details: resultDetails(event),
          });
          // Done, whatever the last progress event said: SGAS-es plans an upper bound of epochs.
          progress = 1;
          break;
        case 'environment':
          this.runs.setEnvironment(runId, event.environment);
          break;
        case 'decision':
          this.searchHistory.addDecision(runId, event.decision);
          break;
        case 'early-stop':
          this.searchHistory.addEarlyStop(runId, event.earlyStop);
          break;
        case 'eigenvalue':
          this.searchHistory.addEigenvalue(runId, event.eigenvalue);
          break;
        case 'collapse':
          this.searchHistory.setCollapseWarning(runId, event.collapse);
          break;
        default:
          throw new Error(
            `Cannot store trainer event of type '${(event as { type?: unknown }).type}' for run ${runId}; ` +
              'the batch was not saved.',
          );
      }
    }
    this.metrics.appendBatch(runId, points);
    if (progress !== null) this.runs.updateProgress(runId, progress);
  }
}

/**
 * Fraction of the planned training done. Assumes `epoch` is the 0-based epoch in progress and `step` the steps
 * done within it (so epoch = epochs - 1, step = stepsPerEpoch is 1).
 */
export function progressFraction(e: { epoch: number; epochs: number; step: number; stepsPerEpoch: number }): number {
  if (!(e.epochs > 0)) return 0;
  const within = e.stepsPerEpoch > 0 ? Math.min(1, Math.max(0, e.step / e.stepsPerEpoch)) : 0;
  return Math.min(1, Math.max(0, (e.epoch + within) / e.epochs));
}
