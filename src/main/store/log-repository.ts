import type Database from 'better-sqlite3';
import type { LogLine } from '../../shared/api';
import type { SqliteDatabase } from './open-database';

/** The run's event log: trainer log lines and errors, in arrival order. */
export class LogRepository {
  private readonly insertStmt: Database.Statement;
  private readonly listStmt: Database.Statement;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare('INSERT INTO logs (run_id, time, level, message) VALUES (?, ?, ?, ?)');
    this.listStmt = db.prepare('SELECT time, level, message FROM logs WHERE run_id = ? ORDER BY id');
  }

  add(runId: number, line: LogLine): void {
    this.insertStmt.run(runId, line.time, line.level, line.message);
  }

  list(runId: number): LogLine[] {
    return this.listStmt.all(runId) as LogLine[];
  }
}
