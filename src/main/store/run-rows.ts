import type { AccuracyMeasure, RunDetail, RunKind, RunSummary } from '../../shared/api';
import { SearchConfigSchema, upgradeStoredConfig, type SearchConfig } from '../../shared/config';
import type { Evaluation, Nb201Score, RunEnvironment, RunStatus, SearchSummary } from '../../shared/events';
import { fromJsonColumn } from './json-column';
import { readInstanasResult } from './result-details';

// The runs table's rows and their API shapes (shared/api.ts): the columns the list and detail reads select,
// and the mappers from rows to RunSummary / RunDetail.

/** Statuses from which a run with a checkpoint can continue. */
const RESUMABLE: ReadonlySet<RunStatus> = new Set(['paused', 'failed', 'cancelled']);

export interface SummaryRow {
  id: number;
  kind: RunKind;
  name: string;
  status: RunStatus;
  strategy: string;
  space: string;
  dataset_name: string;
  seed: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  best_accuracy: number | null;
  progress: number;
  error: string | null;
  active_ms: number;
  running_since: number | null;
  collapse_warning: string | null;
  strategy_order: number | null;
  parent_id: number | null;
  group_id: number | null;
  /** Tags joined by TAG_SEPARATOR, alphabetical; null when none. */
  tags: string | null;
  note: string | null;
  epochs: number | null;
  backend: string | null;
  nb201_cifar10: number | null;
  nb201_rank: number | null;
  test_accuracy: number | null;
  accuracy: number | null;
  accuracy_measure: AccuracyMeasure;
  /** Where it was sent (migration 008): 'local', 'any' or a worker's name; the worker that trained it. */
  where_to: string;
  ran_on: string | null;
}

export interface DetailRow extends SummaryRow {
  config: string;
  environment: string | null;
  arch: string | null;
  genotype: string | null;
  nb201: string | null;
  summary: string | null;
  last_checkpoint_epoch: number | null;
  evaluation: string | null;
  result_details: string | null;
}

/** Tags never contain it (TagSchema forbids control characters in practice: it is the ASCII unit separator). */
const TAG_SEPARATOR = '\u001f';

/** What a run's headline accuracy measures (shared/api.ts ACCURACY_MEASURES), as SQL over a runs row. */
export const ACCURACY_MEASURE_SQL = `CASE WHEN test_accuracy IS NOT NULL THEN 'test' WHEN kind = 'dry-run' THEN 'table'
  WHEN kind = 'retrain' THEN 'retrain-val' ELSE 'search-val' END`;

export const SUMMARY_COLUMNS = `id, kind, name, status, strategy, space, dataset_name, seed, created_at, started_at,
  finished_at, best_accuracy, progress, error, active_ms, running_since, collapse_warning,
  json_extract(config, '$.strategy.order') AS strategy_order, parent_id, group_id,
  (SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM tags WHERE tags.run_id = runs.id ORDER BY tag)) AS tags,
  (SELECT text FROM notes WHERE notes.run_id = runs.id) AS note,
  epochs, backend, nb201_cifar10, nb201_rank, test_accuracy, coalesce(test_accuracy, best_accuracy) AS accuracy,
  ${ACCURACY_MEASURE_SQL} AS accuracy_measure, where_to, ran_on`;

export const DETAIL_COLUMNS = `${SUMMARY_COLUMNS}, config, environment, arch, genotype, nb201, summary, last_checkpoint_epoch, evaluation,
  result_details`;

export function toSummary(row: SummaryRow): RunSummary {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    status: row.status,
    strategy: row.strategy,
    space: row.space,
    datasetName: row.dataset_name,
    seed: row.seed,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    bestAccuracy: row.best_accuracy,
    progress: row.progress,
    error: row.error,
    activeMs: row.active_ms,
    runningSince: row.running_since,
    collapseWarning: row.collapse_warning,
    strategyOrder: row.strategy_order,
    parentId: row.parent_id,
    groupId: row.group_id,
    tags: splitTags(row.tags),
    note: row.note,
    epochs: row.epochs,
    backend: row.backend,
    nb201Accuracy: row.nb201_cifar10,
    nb201Rank: row.nb201_rank,
    testAccuracy: row.test_accuracy,
    accuracy: row.accuracy,
    accuracyMeasure: row.accuracy_measure,
    where: row.where_to,
    ranOn: row.ran_on,
  };
}

function splitTags(joined: string | null): string[] {
  return joined ? joined.split(TAG_SEPARATOR) : [];
}

/** A list row in SUMMARY_COLUMNS order (the list reads arrays: about twice as fast as row objects). */
export type SummaryTuple = [
  number, RunKind, string, RunStatus, string, string, string, number, number,
  number | null, number | null, number | null, number, string | null, number, number | null, string | null,
  number | null, number | null, number | null, string | null, string | null, number | null, string | null,
  number | null, number | null, number | null, number | null, AccuracyMeasure, string, string | null,
];

export function tupleToSummary(t: SummaryTuple): RunSummary {
  return {
    id: t[0],
    kind: t[1],
    name: t[2],
    status: t[3],
    strategy: t[4],
    space: t[5],
    datasetName: t[6],
    seed: t[7],
    createdAt: t[8],
    startedAt: t[9],
    finishedAt: t[10],
    bestAccuracy: t[11],
    progress: t[12],
    error: t[13],
    activeMs: t[14],
    runningSince: t[15],
    collapseWarning: t[16],
    strategyOrder: t[17],
    parentId: t[18],
    groupId: t[19],
    tags: splitTags(t[20]),
    note: t[21],
    epochs: t[22],
    backend: t[23],
    nb201Accuracy: t[24],
    nb201Rank: t[25],
    testAccuracy: t[26],
    accuracy: t[27],
    accuracyMeasure: t[28],
    where: t[29],
    ranOn: t[30],
  };
}

export function toDetail(row: DetailRow, children: RunDetail['children'] = [], attempts: RunDetail['attempts'] = []): RunDetail {
  const lastCheckpointEpoch = row.last_checkpoint_epoch;
  return {
    ...toSummary(row),
    attempts,
    config: parseConfig(row.config),
    environment: fromJsonColumn<RunEnvironment>(row.environment),
    arch: row.arch,
    genotype: fromJsonColumn<unknown>(row.genotype),
    nb201: fromJsonColumn<Nb201Score>(row.nb201),
    summary: fromJsonColumn<SearchSummary>(row.summary),
    lastCheckpointEpoch,
    resumable: lastCheckpointEpoch !== null && RESUMABLE.has(row.status),
    evaluation: fromJsonColumn<Evaluation>(row.evaluation),
    instanas: readInstanasResult(row.result_details),
    children,
  };
}

/**
 * Parsing through the schema fills defaults for fields added after the run was stored. A config that no longer
 * parses (a field since removed) is returned as stored rather than hiding the run.
 */
function parseConfig(text: string): SearchConfig {
  const raw: unknown = JSON.parse(text);
  const parsed = SearchConfigSchema.safeParse(upgradeStoredConfig(raw));
  return parsed.success ? parsed.data : (raw as SearchConfig);
}
