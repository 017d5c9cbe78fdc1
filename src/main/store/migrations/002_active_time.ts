// Time spent training, excluding pauses, queueing and app downtime: `active_ms` accumulates each span
// between entering and leaving 'running'; `running_since` marks the open span.
export const sql = `
ALTER TABLE runs ADD COLUMN active_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN running_since INTEGER;
UPDATE runs SET active_ms = max(0, coalesce(finished_at, started_at, 0) - coalesce(started_at, 0))
  WHERE status IN ('completed', 'failed', 'cancelled');
`;
