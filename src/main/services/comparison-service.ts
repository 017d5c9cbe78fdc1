import type Database from 'better-sqlite3';
import type { ComparedRun, MetricSeries, RunDetail } from '../../shared/api';
import { STRATEGY_DESCRIPTORS } from '../../shared/strategies/registry';
import type { Store } from '../store/store';
import type { SnapshotKind } from '../store/snapshot-repository';
import { NotFoundError } from '../app-errors';

// runs.compare: everything the Compare view draws for 2–10 runs, in one request. Curves are bucketed so that
// each bucket keeps its lowest and highest point (a spike or a dip survives, unlike every-k-th thinning);
// the architecture is the latest α / probability snapshot with, per edge, the epoch its leading op settled.

/** Buckets per series when the caller names none: ≤ 2 × 400 points per curve. */
export const DEFAULT_COMPARE_BUCKETS = 400;
/** Snapshot kinds whose payload is { ops, cells: rows = edges × columns = ops } (strategy descriptors). */
const WEIGHT_KINDS: readonly SnapshotKind[] = ['alpha', 'probabilities'];

type Row = [step: number, epoch: number, value: number];

export class ComparisonService {
  private readonly namesStmt: Database.Statement;
  private readonly allStmt: Database.Statement;
  private readonly lastPointStmt: Database.Statement;

  constructor(private readonly store: Store) {
    const db = store.db;
    // A run's metric names by a loose index scan: one B-tree seek per name instead of reading every point.
    this.namesStmt = db
      .prepare(
        `WITH RECURSIVE n(name) AS (
           SELECT min(name) FROM metrics WHERE run_id = @runId
           UNION ALL SELECT (SELECT min(name) FROM metrics WHERE run_id = @runId AND name > n.name) FROM n WHERE n.name IS NOT NULL
         ) SELECT name FROM n WHERE name IS NOT NULL`,
      )
      .pluck();
    // The last point of one series: one seek on the (run_id, name, step) key.
    this.lastPointStmt = db.prepare('SELECT step, epoch, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step DESC LIMIT 1').raw();
    this.allStmt = db.prepare('SELECT step, epoch, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step').raw();

  }

  compare(ids: readonly number[], options: { metrics?: readonly string[]; points?: number } = {}): { runs: ComparedRun[] } {
    const unique = [...new Set(ids)];
    const details = unique.map((id) => {
      const d = this.store.runs.get(id);
      if (!d) throw new NotFoundError(`There is no run ${id} to compare.`, 'It may have been deleted: pick the runs again in the runs list.');
      return d;
    });
    const buckets = Math.max(2, Math.floor((options.points ?? DEFAULT_COMPARE_BUCKETS * 2) / 2));
    const wanted = options.metrics ? new Set(options.metrics) : null;
    return {
      runs: details.map((detail) => ({
        detail,
        series: this.series(detail.id, buckets, wanted),
        last: this.last(detail.id),
        architecture: this.architecture(detail),
      })),
    };
  }

  /** name → the last point of every metric of the run. */
  last(runId: number): Record<string, Row> {
    return Object.fromEntries((this.namesStmt.all({ runId }) as string[]).map((name) => [name, this.lastPointStmt.get(runId, name) as Row]));
  }

  /** name → points by step; a series longer than 2 × buckets keeps each step range's min and max (and the first and last point). */
  series(runId: number, buckets: number, wanted: ReadonlySet<string> | null = null): MetricSeries {
    const out: MetricSeries = {};
    for (const name of this.namesStmt.all({ runId }) as string[]) {
      if (wanted && !wanted.has(name)) continue;
      const rows = this.allStmt.all(runId, name) as Row[];
      if (rows.length <= 2 * buckets) {
        out[name] = rows;
        continue;
      }
      out[name] = bucketExtremes(rows, rows[0][0], rows[rows.length - 1][0], buckets);
    }
    return out;
  }

  private architecture(detail: RunDetail): ComparedRun['architecture'] {
    const descriptor = (STRATEGY_DESCRIPTORS as Record<string, { snapshotKinds: readonly string[] }>)[detail.config.strategy.name];
    const kind = WEIGHT_KINDS.find((k) => descriptor?.snapshotKinds.includes(k));
    if (!kind) return null;
    const snaps = this.store.snapshots.list(detail.id, kind).filter((s) => isWeights(s.payload));
    if (snaps.length === 0) return null;
    const last = snaps[snaps.length - 1];
    const payload = last.payload as WeightsPayload;
    // An edge's leading op is the one the space's discretisation would keep: 'none' only where the space allows it.
    const keepNone = (detail.config.space as { allowNone?: boolean }).allowNone === true;
    const skip = keepNone ? -1 : payload.ops.indexOf('none');
    const settledEpoch: Record<string, (number | null)[]> = {};
    for (const [cell, rows] of Object.entries(payload.cells)) {
      settledEpoch[cell] = rows.map((_, e) => settledAt(snaps.map((s) => ({ epoch: s.epoch, row: (s.payload as WeightsPayload).cells[cell]?.[e] })), skip));
    }
    return { kind, epoch: last.epoch, ops: payload.ops, cells: payload.cells, settledEpoch, snapshots: snaps.length };
  }
}

/**
 * One pass over a series in step order: per equal step range, its lowest and highest point (in step order),
 * plus the first and last point. Two scans with GROUP BY (one for min, one for max) cost twice the reads.
 */
export function bucketExtremes(rows: readonly Row[], lo: number, hi: number, buckets: number): Row[] {
  const span = hi - lo + 1;
  const out: Row[] = [];
  let current = -1;
  let min: Row | null = null;
  let max: Row | null = null;
  let last: Row | null = null;
  const flush = () => {
    if (!min || !max) return;
    if (min === max) out.push(min);
    else out.push(...(min[0] < max[0] ? [min, max] : [max, min]));
  };
  for (const row of rows) {
    if (out.length === 0 && current < 0) out.push(row); // the first point
    const b = Math.floor(((row[0] - lo) * buckets) / span);
    if (b !== current) {
      flush();
      current = b;
      min = max = row;
    } else {
      if (row[2] < min![2]) min = row;
      if (row[2] > max![2]) max = row;
    }
    last = row;
  }
  flush();
  if (last) out.push(last);
  // The first and last point may also be a bucket's extreme: keep each step once.
  return out.filter((r, i) => i === 0 || r[0] !== out[i - 1][0]);
}

interface WeightsPayload {
  ops: string[];
  cells: Record<string, number[][]>;
}

function isWeights(x: unknown): x is WeightsPayload {
  const p = x as WeightsPayload | null;
  return !!p && Array.isArray(p.ops) && !!p.cells && typeof p.cells === 'object' && Object.values(p.cells).every((m) => Array.isArray(m));
}

/** Index of the largest entry, skipping `skip` (-1: none skipped); -1 for a missing row. */
export function leadingOp(row: readonly number[] | undefined, skip: number): number {
  if (!row) return -1;
  let best = -1;
  for (let k = 0; k < row.length; k++) if (k !== skip && (best < 0 || row[k] > row[best])) best = k;
  return best;
}

/**
 * The epoch of the first snapshot from which the edge's leading op stays the final one (the last snapshot's
 * epoch when it only just changed); null without snapshots or when the edge's row is missing.
 */
export function settledAt(history: readonly { epoch: number; row: readonly number[] | undefined }[], skip: number): number | null {
  if (history.length === 0) return null;
  const final = leadingOp(history[history.length - 1].row, skip);
  if (final < 0) return null;
  let since = history[history.length - 1].epoch;
  for (let i = history.length - 1; i >= 0; i--) {
    if (leadingOp(history[i].row, skip) !== final) break;
    since = history[i].epoch;
  }
  return since;
}
