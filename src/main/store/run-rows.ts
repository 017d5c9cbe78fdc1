import type { RunDetail, RunKind, RunSummary } from '../../shared/api';
import { SearchConfigSchema, upgradeStoredConfig, type SearchConfig } from '../../shared/config';
import type { Nb201Score, RunEnvironment, RunStatus, SearchSummary } from '../../shared/events';
import { fromJsonColumn } from './json-column';

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
}

export interface DetailRow extends SummaryRow {
  config: string;
  environment: string | null;
  arch: string | null;
  genotype: string | null;
  nb201: string | null;
  summary: string | null;
  last_checkpoint_epoch: number | null;
}

export const SUMMARY_COLUMNS = `id, kind, name, status, strategy, space, dataset_name, seed, created_at, started_at,
  finished_at, best_accuracy, progress, error, active_ms, running_since, collapse_warning,
  json_extract(config, '$.strategy.order') AS strategy_order`;

export const DETAIL_COLUMNS = `${SUMMARY_COLUMNS}, config, environment, arch, genotype, nb201, summary, last_checkpoint_epoch`;

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
  };
}

/** A list row in SUMMARY_COLUMNS order (the list reads arrays: about twice as fast as row objects). */
export type SummaryTuple = [
  number, RunKind, string, RunStatus, string, string, string, number, number,
  number | null, number | null, number | null, number, string | null, number, number | null, string | null,
  number | null,
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
  };
}

export function toDetail(row: DetailRow): RunDetail {
  const lastCheckpointEpoch = row.last_checkpoint_epoch;
  return {
    ...toSummary(row),
    config: parseConfig(row.config),
    environment: fromJsonColumn<RunEnvironment>(row.environment),
    arch: row.arch,
    genotype: fromJsonColumn<unknown>(row.genotype),
    nb201: fromJsonColumn<Nb201Score>(row.nb201),
    summary: fromJsonColumn<SearchSummary>(row.summary),
    lastCheckpointEpoch,
    resumable: lastCheckpointEpoch !== null && RESUMABLE.has(row.status),
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
