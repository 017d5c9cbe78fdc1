import type Database from 'better-sqlite3';
import type { Snapshot } from '../../shared/api';
import { toJsonColumn } from './json-column';
import type { SqliteDatabase } from './open-database';

export type SnapshotKind = 'alpha' | 'probabilities' | 'genotype' | 'policy';

/** Architecture state over time (α, probabilities, genotype, policy), for the per-edge timeline. */
export class SnapshotRepository {
  private readonly insertStmt: Database.Statement;
  private readonly listStmt: Database.Statement;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare('INSERT INTO snapshots (run_id, epoch, kind, payload) VALUES (?, ?, ?, ?)');
    this.listStmt = db
      .prepare('SELECT epoch, kind, payload FROM snapshots WHERE run_id = ? AND kind = ? ORDER BY epoch, id')
      .raw();
  }

  add(runId: number, epoch: number, kind: SnapshotKind, payload: unknown): void {
    this.insertStmt.run(runId, epoch, kind, toJsonColumn(payload) ?? 'null');
  }

  /** The run's snapshots of one kind, by epoch. */
  list(runId: number, kind: SnapshotKind): Snapshot[] {
    return (this.listStmt.all(runId, kind) as [number, string, string][]).map(([epoch, k, payload]) => ({
      epoch,
      kind: k,
      payload: JSON.parse(payload) as unknown,
    }));
  }
}
