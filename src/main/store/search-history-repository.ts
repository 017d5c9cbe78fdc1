import type Database from 'better-sqlite3';
import type { Collapse, Decision, EarlyStop, Eigenvalue } from '../../shared/events';
import type { SqliteDatabase } from './open-database';

// What a one-shot search decided and measured along the way: SGAS edge decisions and SGAS-es early stops
// (the `decisions` table; an early stop fixes no op, so its op is NULL) and λ_max per epoch.

export interface SearchHistory {
  decisions: Decision[];
  earlyStops: EarlyStop[];
  eigenvalues: Eigenvalue[];
}

export class SearchHistoryRepository {
  private readonly insertDecision: Database.Statement;
  private readonly insertEigen: Database.Statement;
  private readonly setWarning: Database.Statement;
  private readonly decisionsStmt: Database.Statement;
  private readonly eigenStmt: Database.Statement;

  constructor(db: SqliteDatabase) {
    // The same event stored again (a replayed spool, a resume repeating epochs) keeps one row. ON CONFLICT
    // DO NOTHING covers only the unique keys; OR IGNORE would also swallow a NULL where none may be.
    this.insertDecision = db.prepare(
      'INSERT INTO decisions (run_id, epoch, cell_type, edge, op, scores) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.insertEigen = db.prepare(
      'INSERT INTO eigenvalues (run_id, wall_epoch, epoch, lambda_max, local_average, iterations) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.setWarning = db.prepare('UPDATE runs SET collapse_warning = ? WHERE id = ?');
    this.decisionsStmt = db.prepare('SELECT op, scores FROM decisions WHERE run_id = ? ORDER BY id');
    this.eigenStmt = db.prepare(
      'SELECT wall_epoch, epoch, lambda_max, local_average, iterations FROM eigenvalues WHERE run_id = ? ORDER BY wall_epoch, id',
    );
  }

  addDecision(runId: number, d: Decision): void {
    this.insertDecision.run(runId, d.epoch, d.cellType, d.edgeLabel, d.op, JSON.stringify(d));
  }

  /** Keyed by wall epoch: after a rollback the same logical epoch can stop again. */
  addEarlyStop(runId: number, s: EarlyStop): void {
    this.insertDecision.run(runId, s.epoch, 'early-stop', `wall ${s.wallEpoch}`, null, JSON.stringify(s));
  }

  addEigenvalue(runId: number, v: Eigenvalue): void {
    this.insertEigen.run(runId, v.wallEpoch, v.epoch, v.lambdaMax, v.localAverage, v.iterations);
  }

  setCollapseWarning(runId: number, c: Collapse): void {
    this.setWarning.run(c.message, runId);
  }

  get(runId: number): SearchHistory {
    const decisions: Decision[] = [];
    const earlyStops: EarlyStop[] = [];
    for (const row of this.decisionsStmt.all(runId) as Array<{ op: string | null; scores: string }>) {
      const value = JSON.parse(row.scores) as Decision | EarlyStop;
      if (row.op === null) earlyStops.push(value as EarlyStop);
      else decisions.push(value as Decision);
    }
    const eigenvalues = (this.eigenStmt.all(runId) as Array<{ wall_epoch: number; epoch: number; lambda_max: number; local_average: number | null; iterations: number }>).map(
      (r) => ({ wallEpoch: r.wall_epoch, epoch: r.epoch, lambdaMax: r.lambda_max, localAverage: r.local_average, iterations: r.iterations }),
    );
    return { decisions, earlyStops, eigenvalues };
  }
}
