import type { RunDetail, RunFacets, RunFilter, RunKind, RunListQuery, RunSummary } from '../../shared/api';
import { runKindOf, type SearchConfig } from '../../shared/config';
import type { Evaluation, Nb201Score, RunEnvironment, RunStatus, SearchSummary } from '../../shared/events';
import { DispatchRepository } from './dispatch-repository';
import { toJsonColumn } from './json-column';
import type { SqliteDatabase } from './open-database';
import type { ResultDetails } from './result-details';
import { RunListReader } from './run-list-query';
import { DETAIL_COLUMNS, SUMMARY_COLUMNS, toDetail, toSummary, type DetailRow, type SummaryRow } from './run-rows';
import type Database from 'better-sqlite3';

export type { RunKind };

export const INTERRUPTED_RUN_ERROR = 'The app stopped while this run was running';

const TERMINAL: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);

export interface CreateRunOptions {
  /** Defaults to 'search'; a dry-run or retrain config (runKindOf) is always stored as its own kind. */
  kind?: RunKind;
  parentId?: number | null;
  /** Defaults to config.name, else "<strategy> · <space> · <dataset>". */
  name?: string;
  status?: RunStatus;
  createdAt?: number;
  /** A seed group (runs.createGroup): see nextGroupId. */
  groupId?: number | null;
}

/** The dataset a run trains on. `id` is null when the CLI names a path that is not in the dataset list. */
export interface RunDatasetRef {
  id: number | null;
  name: string;
}

/** Fields setStatus changes besides the status. An absent key gets the default described on setStatus. */
export interface StatusFields {
  startedAt?: number | null;
  finishedAt?: number | null;
  error?: string | null;
}

export interface RunResultFields {
  arch: string | null;
  genotype: unknown;
  nb201: Nb201Score | null;
  /** What the search evaluated and which accuracy it used (the result event's `summary`); null when absent. */
  summary?: SearchSummary | null;
  /** Raises bestAccuracy when higher than what the metrics gave. */
  valAccuracy?: number;
  /** A retrain's test accuracy, parameters, FLOPs, latency and export folder. */
  evaluation?: Evaluation | null;
  /** Strategy-specific results (InstaNAS's latency table, policies, baseline, variants), by kind. */
  details?: ResultDetails | null;
}

/** Runs: creation, status transitions, and the list/detail reads in the shapes of shared/api.ts. */
export class RunRepository {
  private readonly insertStmt: Database.Statement;
  private readonly detailStmt: Database.Statement;
  private readonly summaryStmt: Database.Statement;
  private readonly statusStmt: Database.Statement;
  private readonly progressStmt: Database.Statement;
  private readonly resultStmt: Database.Statement;
  private readonly environmentStmt: Database.Statement;
  private readonly runningIdsStmt: Database.Statement;
  private readonly deleteStmt: Database.Statement;
  private readonly childrenStmt: Database.Statement;
  private readonly nextGroupStmt: Database.Statement;
  private readonly reader: RunListReader;
  /** A run's attempts on workers, part of its detail. */
  private readonly dispatch: DispatchRepository;
  private readonly markInterruptedTx: (now: number) => number[];

  constructor(db: SqliteDatabase) {
    this.dispatch = new DispatchRepository(db);
    this.insertStmt = db.prepare(`
      INSERT INTO runs (kind, parent_id, name, status, config, seed, dataset_id, dataset_name, strategy, space,
                        created_at, group_id, epochs, backend)
      VALUES (@kind, @parentId, @name, @status, @config, @seed, @datasetId, @datasetName, @strategy, @space,
              @createdAt, @groupId, @epochs, @backend)`);
    this.childrenStmt = db.prepare('SELECT id, kind, name, status FROM runs WHERE parent_id = ? ORDER BY id');
    this.nextGroupStmt = db.prepare('SELECT coalesce(max(group_id), 0) + 1 FROM runs').pluck();
    this.reader = new RunListReader(db);
    this.detailStmt = db.prepare(`SELECT ${DETAIL_COLUMNS} FROM runs WHERE id = ?`);
    this.summaryStmt = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE id = ?`);
    // Modes: 0 keep the column, 1 set it, 2 set it only when it is NULL (the first start of a resumed run).
    this.statusStmt = db.prepare(`
      UPDATE runs SET
        status = @status,
        started_at = CASE @startedMode WHEN 1 THEN @startedAt WHEN 2 THEN coalesce(started_at, @startedAt)
                     ELSE started_at END,
        finished_at = @finishedAt,
        error = CASE @errorMode WHEN 1 THEN @error ELSE error END,
        -- close an open running span, and open one when entering 'running'
        active_ms = active_ms + CASE WHEN running_since IS NOT NULL AND @status <> 'running'
                                     THEN max(0, @now - running_since) ELSE 0 END,
        running_since = CASE WHEN @status = 'running' THEN coalesce(running_since, @now) ELSE NULL END
      WHERE id = @id`);
    this.progressStmt = db.prepare('UPDATE runs SET progress = ? WHERE id = ?');
    this.resultStmt = db.prepare(`
      UPDATE runs SET arch = @arch, genotype = @genotype, nb201 = @nb201, summary = @summary,
        nb201_cifar10 = json_extract(@nb201, '$.cifar10'), nb201_rank = json_extract(@nb201, '$.rank'),
        evaluation = @evaluation, result_details = @details,
        -- A retrain's test accuracy, or an InstaNAS run's (its per-instance policies measured on the test split).
        test_accuracy = coalesce(json_extract(@evaluation, '$.testAccuracy'), json_extract(@details, '$.instanas.testAccuracy')),
        best_accuracy = CASE WHEN @acc IS NOT NULL AND (best_accuracy IS NULL OR best_accuracy < @acc)
                        THEN @acc ELSE best_accuracy END
      WHERE id = @id`);
    // The backend the trainer reports is the one used ('auto' resolved); a dry run has none.
    this.environmentStmt = db.prepare(
      "UPDATE runs SET environment = @environment, backend = CASE WHEN kind = 'dry-run' THEN NULL ELSE @backend END WHERE id = @id",
    );
    this.runningIdsStmt = db.prepare("SELECT id FROM runs WHERE status = 'running' ORDER BY id").pluck();
    this.deleteStmt = db.prepare('DELETE FROM runs WHERE id = ?');
    const failStmt = db.prepare(
      // The open span ended when the app died, which nobody recorded: the run's last log line is the best
      // evidence of when it was still training (the app's downtime must not count as training time).
      `UPDATE runs SET status = 'failed', error = @error, finished_at = @now,
         active_ms = active_ms + max(0, coalesce((SELECT max(time) FROM logs WHERE run_id = runs.id), running_since)
                                        - running_since),
         running_since = NULL
       WHERE id = @id AND status = 'running'`,
    );
    // A run on a worker goes on training while the coordinator restarts: its stream says how it ended.
    const localRunningStmt = db.prepare("SELECT id FROM runs WHERE status = 'running' AND where_to = 'local' ORDER BY id").pluck();
    this.markInterruptedTx = db.transaction((now: number) => {
      const ids = localRunningStmt.all() as number[];
      for (const id of ids) failStmt.run({ id, now, error: INTERRUPTED_RUN_ERROR });
      return ids;
    });
  }

  /** Inserts a run (queued by default) and returns its id. `config` is stored whole, as JSON. */
  create(config: SearchConfig, dataset: RunDatasetRef, options: CreateRunOptions = {}): number {
    const name = options.name?.trim() || config.name?.trim() || `${config.strategy.name} · ${config.space.name} · ${dataset.name}`;
    const kind = runKindOf(config) === 'search' ? (options.kind ?? 'search') : runKindOf(config);
    const epochs = (config.strategy as { epochs?: unknown }).epochs;
    const info = this.insertStmt.run({
      // A dry-run or retrain config makes the run that kind whatever the caller says; otherwise the caller's.
      kind,
      parentId: options.parentId ?? null,
      name,
      status: options.status ?? 'queued',
      config: JSON.stringify(config),
      seed: config.seed,
      datasetId: dataset.id,
      datasetName: dataset.name,
      strategy: config.strategy.name,
      space: config.space.name,
      createdAt: options.createdAt ?? Date.now(),
      groupId: options.groupId ?? null,
      // A dry run trains nothing: no epochs of training, no backend.
      epochs: kind !== 'dry-run' && typeof epochs === 'number' ? epochs : null,
      backend: kind !== 'dry-run' ? config.backend : null,
    });
    return Number(info.lastInsertRowid);
  }

  get(id: number): RunDetail | null {
    const row = this.detailStmt.get(id) as DetailRow | undefined;
    return row ? toDetail(row, this.childrenStmt.all(id) as RunDetail['children'], this.dispatch.history(id)) : null;
  }

  /** A group id no run has yet, for a new seed group. */
  nextGroupId(): number {
    return this.nextGroupStmt.get() as number;
  }

  /** The list shape of one run, e.g. for a `run.updated` push event. */
  summary(id: number): RunSummary | null {
    const row = this.summaryStmt.get(id) as SummaryRow | undefined;
    return row ? toSummary(row) : null;
  }

  /**
   * The runs list (run-list-query.ts): filters, search terms, sort (default createdAt desc, nulls last, ties by
   * id), and a page (offset, limit; every matching run when neither is given). Reads summary columns only.
   */
  list(query: RunListQuery = {}, now: number = Date.now()): RunSummary[] {
    return this.reader.list(query, now);
  }

  /** Counts for the list's header and filter menus. */
  facets(filter: RunFilter = {}): RunFacets {
    return this.reader.facets(filter);
  }

  /**
   * Sets the status. Defaults for fields not given: `running` keeps the first start time (sets it when unset);
   * `completed`/`failed`/`cancelled` set finishedAt to now; `queued`/`running`/`paused` clear finishedAt;
   * `queued`/`running` clear the error. Returns false when the run does not exist.
   */
  setStatus(id: number, status: RunStatus, fields: StatusFields = {}, now: number = Date.now()): boolean {
    const terminal = TERMINAL.has(status);
    const active = status === 'queued' || status === 'running';
    const params = {
      id,
      status,
      startedMode: 'startedAt' in fields ? 1 : status === 'running' ? 2 : 0,
      startedAt: 'startedAt' in fields ? fields.startedAt ?? null : now,
      finishedAt: 'finishedAt' in fields ? fields.finishedAt ?? null : terminal ? now : null,
      errorMode: 'error' in fields || active ? 1 : 0,
      error: fields.error ?? null,
      now,
    };
    return this.statusStmt.run(params).changes > 0;
  }

  /** Progress of the planned epochs, clamped to 0..1; a non-finite value is ignored. */
  updateProgress(id: number, progress: number): void {
    if (!Number.isFinite(progress)) return;
    this.progressStmt.run(Math.min(1, Math.max(0, progress)), id);
  }

  setResult(id: number, result: RunResultFields): void {
    const acc = result.valAccuracy;
    this.resultStmt.run({
      id,
      arch: result.arch,
      genotype: toJsonColumn(result.genotype),
      nb201: toJsonColumn(result.nb201),
      summary: toJsonColumn(result.summary),
      evaluation: toJsonColumn(result.evaluation),
      details: toJsonColumn(result.details),
      acc: acc !== undefined && Number.isFinite(acc) ? acc : null,
    });
  }

  setEnvironment(id: number, environment: RunEnvironment): void {
    this.environmentStmt.run({ environment: toJsonColumn(environment), backend: environment.backend, id });
  }

  /** Ids of runs whose status is 'running', oldest first, without changing them. */
  runningIds(): number[] {
    return this.runningIdsStmt.all() as number[];
  }

  /**
   * For start-up: every run left 'running' by a previous app session becomes 'failed' with
   * INTERRUPTED_RUN_ERROR. Returns their ids so the caller can report them or resume them from a checkpoint.
   */
  markInterrupted(now: number = Date.now()): number[] {
    return this.markInterruptedTx(now);
  }

  /** Deletes the run and (by cascade) its metrics, snapshots, artifacts rows, logs, notes and tags. */
  delete(id: number): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }
}
