import type Database from 'better-sqlite3';
import type { MetricSeries } from '../../shared/api';
import type { SqliteDatabase } from './open-database';

export interface MetricPoint {
  name: string;
  /** Global step; a run re-emitting a step (after a resume) overwrites the earlier point of that name. */
  step: number;
  epoch: number;
  value: number;
}

/**
 * Metric names whose values (0..1) are validation accuracies: the highest one seen becomes the run's
 * `bestAccuracy` in the runs list. The trainer must report validation accuracy under one of these names.
 */
export const VALIDATION_ACCURACY_METRICS: readonly string[] = ['val_acc', 'val_accuracy'];

/** The time series of every run, and the denormalised runs.best_accuracy that follows it. */
export class MetricRepository {
  private readonly upsertStmt: Database.Statement;
  private readonly raiseBestStmt: Database.Statement;
  private readonly namesStmt: Database.Statement;
  private readonly pointsStmt: Database.Statement;
  private readonly thinnedStmt: Database.Statement;
  private readonly countStmt: Database.Statement;
  private readonly appendTx: (runId: number, points: readonly MetricPoint[]) => number;
  private readonly seriesTx: (runId: number, budget: number) => MetricSeries;
  private readonly accuracyNames: ReadonlySet<string>;

  constructor(db: SqliteDatabase, accuracyNames: readonly string[] = VALIDATION_ACCURACY_METRICS) {
    this.accuracyNames = new Set(accuracyNames);
    this.upsertStmt = db.prepare(`
      INSERT INTO metrics (run_id, name, step, epoch, value) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (run_id, name, step) DO UPDATE SET epoch = excluded.epoch, value = excluded.value`);
    this.raiseBestStmt = db.prepare(`
      UPDATE runs SET best_accuracy = @value
      WHERE id = @runId AND (best_accuracy IS NULL OR best_accuracy < @value)`);
    // All three read one range of the clustered primary key (run_id, name, step) in order: no sort.
    this.namesStmt = db.prepare('SELECT name, count(*) FROM metrics WHERE run_id = ? GROUP BY name ORDER BY name').raw();
    this.pointsStmt = db
      .prepare('SELECT step, epoch, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step')
      .raw();
    // Thinning in SQL builds JS arrays for the kept rows only; building every row and dropping most in JS was
    // about twice as slow on 100k points.
    this.thinnedStmt = db
      .prepare(
        `SELECT step, epoch, value FROM (
           SELECT step, epoch, value, row_number() OVER (ORDER BY step) - 1 AS i
           FROM metrics WHERE run_id = @runId AND name = @name
         ) WHERE i % @k = 0 OR i = @n - 1`,
      )
      .raw();
    this.countStmt = db.prepare('SELECT count(*) FROM metrics WHERE run_id = ?').pluck();
    this.appendTx = db.transaction((runId: number, points: readonly MetricPoint[]) => {
      let written = 0;
      let best = -Infinity;
      for (const p of points) {
        // SQLite stores NaN as NULL and JSON cannot carry NaN or ±Infinity: a diverged loss is reported through
        // the trainer's error/log events instead of a point the charts could not draw.
        if (!Number.isFinite(p.value)) continue;
        this.upsertStmt.run(runId, p.name, p.step, p.epoch, p.value);
        written++;
        if (this.accuracyNames.has(p.name) && p.value > best) best = p.value;
      }
      if (best > -Infinity) this.raiseBestStmt.run({ runId, value: best });
      return written;
    });
    // One read transaction, so the counts and the points come from the same snapshot even when another
    // connection writes in between.
    this.seriesTx = db.transaction((runId: number, budget: number) => this.readSeries(runId, budget));
  }

  /** Writes the points in one transaction (all or none) and raises bestAccuracy. Returns the points written. */
  appendBatch(runId: number, points: readonly MetricPoint[]): number {
    if (points.length === 0) return 0;
    return this.appendTx(runId, points);
  }

  /**
   * Every metric of the run as name → [step, epoch, value][], by step. With `maxPoints`, each name keeps at most
   * that many points: every k-th, and always the last (the current value).
   */
  series(runId: number, maxPoints?: number): MetricSeries {
    const budget = maxPoints === undefined ? Infinity : Math.max(2, Math.floor(maxPoints));
    return this.seriesTx(runId, budget);
  }

  count(runId: number): number {
    return this.countStmt.get(runId) as number;
  }

  private readSeries(runId: number, budget: number): MetricSeries {
    const out: MetricSeries = {};
    for (const [name, n] of this.namesStmt.all(runId) as [string, number][]) {
      if (n <= budget) {
        out[name] = this.pointsStmt.all(runId, name) as [number, number, number][];
        continue;
      }
      // Every k-th point with k = ceil(n / (budget - 1)) leaves at most budget - 1 points; the last point (the
      // current value) makes at most `budget`.
      const k = Math.ceil(n / (budget - 1));
      out[name] = this.thinnedStmt.all({ runId, name, k, n }) as [number, number, number][];
    }
    return out;
  }
}
