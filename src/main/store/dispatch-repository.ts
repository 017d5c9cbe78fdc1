import type Database from 'better-sqlite3';
import type { RunAttempt } from '../../shared/dispatch';
import type { SqliteDatabase } from './open-database';

// Where runs train, their dispatches (attempts) and the coordinator's stream cursors (migration 008).

export type AttemptOutcome = 'completed' | 'paused' | 'cancelled' | 'failed' | 'lost';

export interface AttemptRow {
  runId: number;
  attempt: number;
  worker: string | null;
  startedAt: number;
  endedAt: number | null;
  outcome: AttemptOutcome | null;
  resumedFromEpoch: number | null;
  note: string | null;
  lastSeq: number;
}

interface AttemptDbRow {
  run_id: number;
  attempt: number;
  worker: string | null;
  started_at: number;
  ended_at: number | null;
  outcome: AttemptOutcome | null;
  resumed_from_epoch: number | null;
  note: string | null;
  last_seq: number;
}

export class DispatchRepository {
  private readonly setWhereStmt: Database.Statement;
  private readonly whereStmt: Database.Statement;
  private readonly ranOnStmt: Database.Statement;
  private readonly activeRemoteStmt: Database.Statement;
  private readonly insertAttemptStmt: Database.Statement;
  private readonly currentStmt: Database.Statement;
  private readonly listStmt: Database.Statement;
  private readonly claimStmt: Database.Statement;
  private readonly setRanOnStmt: Database.Statement;
  private readonly endStmt: Database.Statement;
  private readonly seqStmt: Database.Statement;
  private readonly cursorStmt: Database.Statement;
  private readonly setCursorStmt: Database.Statement;

  constructor(db: SqliteDatabase) {
    this.setWhereStmt = db.prepare('UPDATE runs SET where_to = ? WHERE id = ?');
    this.whereStmt = db.prepare('SELECT where_to FROM runs WHERE id = ?').pluck();
    this.ranOnStmt = db.prepare('SELECT ran_on FROM runs WHERE id = ?').pluck();
    this.activeRemoteStmt = db.prepare(`SELECT id, status, where_to AS "where" FROM runs
      WHERE where_to <> 'local' AND status IN ('queued', 'running') ORDER BY id`);
    this.insertAttemptStmt = db.prepare(`INSERT INTO run_attempts (run_id, attempt, worker, started_at, resumed_from_epoch, note)
      VALUES (?, ?, NULL, ?, ?, ?) ON CONFLICT DO NOTHING`);
    this.currentStmt = db.prepare('SELECT * FROM run_attempts WHERE run_id = ? ORDER BY attempt DESC LIMIT 1');
    this.listStmt = db.prepare('SELECT * FROM run_attempts WHERE run_id = ? ORDER BY attempt');
    this.claimStmt = db.prepare('UPDATE run_attempts SET worker = ? WHERE run_id = ? AND attempt = ?');
    this.setRanOnStmt = db.prepare('UPDATE runs SET ran_on = ? WHERE id = ?');
    this.endStmt = db.prepare(`UPDATE run_attempts SET outcome = ?, note = coalesce(?, note), ended_at = ?
      WHERE run_id = ? AND attempt = ? AND outcome IS NULL`);
    this.seqStmt = db.prepare('UPDATE run_attempts SET last_seq = ? WHERE run_id = ? AND attempt = ? AND last_seq < ?');
    this.cursorStmt = db.prepare('SELECT stream_id FROM dispatch_cursors WHERE run_id = ?').pluck();
    this.setCursorStmt = db.prepare(`INSERT INTO dispatch_cursors (run_id, stream_id) VALUES (?, ?)
      ON CONFLICT (run_id) DO UPDATE SET stream_id = excluded.stream_id`);
  }

  setWhere(runId: number, where: string): void {
    this.setWhereStmt.run(where, runId);
  }

  /** 'local', 'any' or a worker's name; null for an unknown run. */
  where(runId: number): string | null {
    return (this.whereStmt.get(runId) as string | undefined) ?? null;
  }

  ranOn(runId: number): string | null {
    return (this.ranOnStmt.get(runId) as string | null | undefined) ?? null;
  }

  /** Runs on workers the coordinator must watch: queued or running. */
  activeRemote(): { id: number; status: 'queued' | 'running'; where: string }[] {
    return this.activeRemoteStmt.all() as { id: number; status: 'queued' | 'running'; where: string }[];
  }

  /** Records dispatch number `attempt` (a second call with the same number changes nothing). */
  addAttempt(runId: number, attempt: number, resumedFromEpoch: number | null, note: string | null, now = Date.now()): void {
    this.insertAttemptStmt.run(runId, attempt, now, resumedFromEpoch, note);
  }

  /** The run's newest attempt: the only one whose events count. */
  current(runId: number): AttemptRow | null {
    const row = this.currentStmt.get(runId) as AttemptDbRow | undefined;
    return row ? toAttempt(row) : null;
  }

  attempts(runId: number): AttemptRow[] {
    return (this.listStmt.all(runId) as AttemptDbRow[]).map(toAttempt);
  }

  /** The attempts as the run's page shows them. */
  history(runId: number): RunAttempt[] {
    return this.attempts(runId).map((a) => ({
      attempt: a.attempt,
      worker: a.worker ?? 'not taken yet',
      startedAt: new Date(a.startedAt).toISOString(),
      endedAt: a.endedAt === null ? null : new Date(a.endedAt).toISOString(),
      outcome: a.outcome,
      resumedFromEpoch: a.resumedFromEpoch,
      note: a.note,
    }));
  }

  /** A worker took the attempt: it is where the run trains now. */
  claim(runId: number, attempt: number, worker: string): void {
    this.claimStmt.run(worker, runId, attempt);
    this.setRanOnStmt.run(worker, runId);
  }

  /** Ends an attempt once (a later call for an ended attempt changes nothing). */
  end(runId: number, attempt: number, outcome: AttemptOutcome, note: string | null, now = Date.now()): void {
    this.endStmt.run(outcome, note, now, runId, attempt);
  }

  setLastSeq(runId: number, attempt: number, seq: number): void {
    this.seqStmt.run(seq, runId, attempt, seq);
  }

  /** The id of the last stream entry the coordinator applied ('0' = from the start). */
  cursor(runId: number): string {
    return (this.cursorStmt.get(runId) as string | undefined) ?? '0';
  }

  setCursor(runId: number, streamId: string): void {
    this.setCursorStmt.run(runId, streamId);
  }
}

function toAttempt(r: AttemptDbRow): AttemptRow {
  return {
    runId: r.run_id,
    attempt: r.attempt,
    worker: r.worker,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    outcome: r.outcome,
    resumedFromEpoch: r.resumed_from_epoch,
    note: r.note,
    lastSeq: r.last_seq,
  };
}
