import type Database from 'better-sqlite3';
import type { SqliteDatabase } from './open-database';

export type ArtifactKind = 'checkpoint' | 'model' | 'export';

export interface ArtifactInput {
  kind: ArtifactKind;
  /** The epoch a checkpoint was taken after; null for models and exports. */
  epoch: number | null;
  path: string;
  size: number;
  checksum: string;
}

export interface Artifact extends ArtifactInput {
  id: number;
  runId: number;
  createdAt: number;
}

interface ArtifactRow {
  id: number;
  run_id: number;
  kind: ArtifactKind;
  epoch: number | null;
  path: string;
  size: number;
  checksum: string;
  created_at: number;
}

/** Files a run produced (checkpoints, trained models, exports); the files live in the run's folder. */
export class ArtifactRepository {
  private readonly insertStmt: Database.Statement;
  private readonly checkpointEpochStmt: Database.Statement;
  private readonly latestStmt: Database.Statement;
  private readonly listStmt: Database.Statement;
  private readonly addTx: (runId: number, input: ArtifactInput, now: number) => number;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare(`
      INSERT INTO artifacts (run_id, kind, epoch, path, size, checksum, created_at)
      VALUES (@runId, @kind, @epoch, @path, @size, @checksum, @createdAt)`);
    // runs.last_checkpoint_epoch is a cache of this table, for RunDetail.resumable without a join.
    this.checkpointEpochStmt = db.prepare('UPDATE runs SET last_checkpoint_epoch = ? WHERE id = ?');
    this.latestStmt = db.prepare(`
      SELECT * FROM artifacts WHERE run_id = ? AND kind = 'checkpoint'
      ORDER BY id DESC LIMIT 1`); // the newest written: after an SGAS-es rollback epochs repeat
    this.listStmt = db.prepare('SELECT * FROM artifacts WHERE run_id = ? ORDER BY id');
    this.addTx = db.transaction((runId: number, input: ArtifactInput, now: number) => {
      const info = this.insertStmt.run({ runId, ...input, createdAt: now });
      if (input.kind === 'checkpoint') this.checkpointEpochStmt.run(input.epoch, runId);
      return Number(info.lastInsertRowid);
    });
  }

  /** Records an artifact; a checkpoint also becomes the run's lastCheckpointEpoch. Returns the artifact id. */
  add(runId: number, input: ArtifactInput, now: number = Date.now()): number {
    return this.addTx(runId, input, now);
  }

  /** The checkpoint to resume from: the highest epoch, the newest on ties. */
  latest(runId: number): Artifact | null {
    const row = this.latestStmt.get(runId) as ArtifactRow | undefined;
    return row ? toArtifact(row) : null;
  }

  list(runId: number): Artifact[] {
    return (this.listStmt.all(runId) as ArtifactRow[]).map(toArtifact);
  }
}

function toArtifact(row: ArtifactRow): Artifact {
  return {
    id: row.id,
    runId: row.run_id,
    kind: row.kind,
    epoch: row.epoch,
    path: row.path,
    size: row.size,
    checksum: row.checksum,
    createdAt: row.created_at,
  };
}
