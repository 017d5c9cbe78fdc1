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
  private readonly bucketStmt: Database.Statement;

  constructor(private readonly store: Store) {
    const db = store.db;
    this.namesStmt = db.prepare('SELECT name, count(*), min(step), max(step) FROM metrics WHERE run_id = ? GROUP BY name ORDER BY name').raw();
    this.allStmt = db.prepare('SELECT step, epoch, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step').raw();
    // Buckets are equal step ranges read straight off the (run_id, name, step) key, no window function;
    // SQLite's bare columns give the step and epoch of the row holding each bucket's min() / max().
    this.bucketStmt = db
      .prepare(
        `SELECT step, epoch, min(value) FROM metrics WHERE run_id = @runId AND name = @name GROUP BY CAST((step - @lo) * @buckets / @span AS INTEGER)
         UNION ALL
         SELECT step, epoch, max(value) FROM metrics WHERE run_id = @runId AND name = @name GROUP BY CAST((step - @lo) * @buckets / @span AS INTEGER)
         UNION ALL
         SELECT step, epoch, value FROM metrics WHERE run_id = @runId AND name = @name AND step IN (@lo, @hi)`,
      )
      .raw();
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
        architecture: this.architecture(detail),
      })),
    };
  }

  /** name → points by step; a series longer than 2 × buckets keeps each step range's min and max (and the first and last point). */
  series(runId: number, buckets: number, wanted: ReadonlySet<string> | null = null): MetricSeries {
    const out: MetricSeries = {};
    for (const [name, n, lo, hi] of this.namesStmt.all(runId) as [string, number, number, number][]) {
      if (wanted && !wanted.has(name)) continue;
      if (n <= 2 * buckets) {
        out[name] = this.allStmt.all(runId, name) as Row[];
        continue;
      }
      const rows = this.bucketStmt.all({ runId, name, lo, hi, span: hi - lo + 1, buckets }) as Row[];
      rows.sort((a, b) => a[0] - b[0]);
      // A bucket whose min and max are the same row, and the last point, appear twice: keep one.
      out[name] = rows.filter((r, i) => i === 0 || r[0] !== rows[i - 1][0]);
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
