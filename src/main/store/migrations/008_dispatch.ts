// Runs dispatched to worker machines (issue 13, ARCHITECTURE §7). Plain ADD COLUMNs and new tables: every
// existing run stays a local one.
// - runs.where_to: where the run trains ('local', 'any' or a worker's name; `where` is an SQL keyword);
//   runs.ran_on: the worker that trains (or trained) it, null for a local run.
// - run_attempts: one row per dispatch of a run. Attempt n+1 is the resume on another worker after attempt n
//   was lost (its worker died or was cut off) or paused. `last_seq` is the fence and the idempotency key of the
//   event stream: an event is applied only when it belongs to the run's newest attempt and its sequence number
//   is above last_seq, in the same transaction that writes its rows, so a replayed stream changes nothing.
// - dispatch_cursors: where the coordinator stopped reading each run's Redis stream, written in that same
//   transaction, so a coordinator restart continues from it without losing or repeating an event.
export const sql = /* sql */ `
ALTER TABLE runs ADD COLUMN where_to TEXT NOT NULL DEFAULT 'local';
ALTER TABLE runs ADD COLUMN ran_on TEXT;

CREATE TABLE run_attempts (
  run_id              INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  attempt             INTEGER NOT NULL CHECK (attempt >= 1),
  worker              TEXT,              -- null until a worker takes the job
  started_at          INTEGER NOT NULL,  -- when it was dispatched
  ended_at            INTEGER,
  outcome             TEXT CHECK (outcome IS NULL OR outcome IN ('completed', 'paused', 'cancelled', 'failed', 'lost')),
  resumed_from_epoch  INTEGER,
  note                TEXT,
  last_seq            INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, attempt)
) WITHOUT ROWID;

CREATE TABLE dispatch_cursors (
  run_id     INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  stream_id  TEXT NOT NULL
);

CREATE INDEX runs_where_to ON runs (where_to) WHERE where_to <> 'local';
`;
