import type Database from 'better-sqlite3';
import type { SqliteDatabase } from './open-database';

// A user's own words on runs: tags (for filtering the list) and one note per run. Both tables exist since
// migration 1; migration 6 makes the note one per run. Deleting a run deletes both (ON DELETE CASCADE).
export class AnnotationRepository {
  private readonly deleteTagsStmt: Database.Statement;
  private readonly addTagStmt: Database.Statement;
  private readonly deleteNoteStmt: Database.Statement;
  private readonly setNoteStmt: Database.Statement;
  private readonly setTagsTx: (runId: number, tags: readonly string[]) => void;

  constructor(db: SqliteDatabase) {
    this.deleteTagsStmt = db.prepare('DELETE FROM tags WHERE run_id = ?');
    this.addTagStmt = db.prepare('INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?, ?)');
    this.deleteNoteStmt = db.prepare('DELETE FROM notes WHERE run_id = ?');
    this.setNoteStmt = db.prepare(`
      INSERT INTO notes (run_id, text, created_at) VALUES (@runId, @text, @now)
      ON CONFLICT (run_id) DO UPDATE SET text = excluded.text, created_at = excluded.created_at`);
    this.setTagsTx = db.transaction((runId: number, tags: readonly string[]) => {
      this.deleteTagsStmt.run(runId);
      for (const tag of tags) this.addTagStmt.run(runId, tag);
    });
  }

  /** Replaces the run's tags (trimmed; empty ones and repeats dropped). Throws a foreign-key error for an unknown run. */
  setTags(runId: number, tags: readonly string[]): void {
    this.setTagsTx(runId, [...new Set(tags.map((t) => t.trim()).filter(Boolean))]);
  }

  /** Sets the run's note; blank text removes it. */
  setNote(runId: number, text: string, now: number = Date.now()): void {
    if (text.trim() === '') this.deleteNoteStmt.run(runId);
    else this.setNoteStmt.run({ runId, text, now });
  }
}
