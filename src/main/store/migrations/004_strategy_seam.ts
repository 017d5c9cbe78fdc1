import type Database from 'better-sqlite3';
import { upgradeStoredConfig } from '../../../shared/config';

// The strategy seam (ARCHITECTURE §8): configs become { common, space: {…}, strategy: {…} }; SGAS-es's
// eigenvalues get a table (wall and logical epochs both kept, since a rollback repeats logical epochs); the
// runs list shows the latest collapse warning.
export const sql = `
CREATE TABLE eigenvalues (
  id            INTEGER PRIMARY KEY,
  run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  wall_epoch    INTEGER NOT NULL,
  epoch         INTEGER NOT NULL,
  lambda_max    REAL    NOT NULL,
  local_average REAL,
  iterations    INTEGER NOT NULL
);
-- One row per epoch trained and per decided edge: replaying events (a spool after a disk fault, a resume
-- that repeats epochs) never stores one twice.
CREATE UNIQUE INDEX eigenvalues_run_wall ON eigenvalues (run_id, wall_epoch);
CREATE UNIQUE INDEX decisions_run_cell_edge ON decisions (run_id, cell_type, edge);
ALTER TABLE runs ADD COLUMN collapse_warning TEXT;
`;

/** Rewrites every stored config of the flat pre-seam shape; configs already in today's shape are left alone. */
export function transform(db: Database.Database): void {
  const rows = db.prepare('SELECT id, config FROM runs').all() as Array<{ id: number; config: string }>;
  const update = db.prepare('UPDATE runs SET config = ? WHERE id = ?');
  for (const row of rows) {
    let raw: unknown;
    try {
      raw = JSON.parse(row.config);
    } catch {
      continue; // unreadable JSON is shown as stored rather than blocking the migration
    }
    const upgraded = upgradeStoredConfig(raw);
    if (upgraded !== raw) update.run(JSON.stringify(upgraded), row.id);
  }
}
