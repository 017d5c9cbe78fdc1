// Run numbers are never given out twice: with a plain INTEGER PRIMARY KEY, deleting the newest run made its
// number the next one's, so an old note, export or link to "#4" pointed at another run. AUTOINCREMENT keeps
// the highest number ever used in sqlite_sequence.
//
// SQLite cannot add AUTOINCREMENT to a table, so `runs` is rebuilt (the procedure of sqlite.org/lang_altertable,
// "making other kinds of table schema changes"): new table, copy every row with its id, drop the old one,
// rename, recreate the indexes. The migration runner turns foreign keys off around it, so dropping the old
// table deletes nothing in metrics, logs, artifacts…; their `REFERENCES runs (id)` resolve to the new table by
// name, and the runner checks `PRAGMA foreign_key_check` before committing.
export const sql = /* sql */ `
CREATE TABLE runs_new (
  id                    INTEGER PRIMARY KEY AUTOINCREMENT,
  kind                  TEXT    NOT NULL CHECK (kind IN ('search', 'retrain', 'evaluate')),
  parent_id             INTEGER REFERENCES runs (id) ON DELETE SET NULL,
  name                  TEXT    NOT NULL,
  status                TEXT    NOT NULL
                        CHECK (status IN ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled')),
  config                TEXT    NOT NULL CHECK (json_valid(config)),
  seed                  INTEGER NOT NULL,
  dataset_id            INTEGER REFERENCES datasets (id) ON DELETE SET NULL,
  dataset_name          TEXT    NOT NULL,
  strategy              TEXT    NOT NULL,
  space                 TEXT    NOT NULL,
  created_at            INTEGER NOT NULL,
  started_at            INTEGER,
  finished_at           INTEGER,
  error                 TEXT,
  environment           TEXT    CHECK (environment IS NULL OR json_valid(environment)),
  best_accuracy         REAL,
  progress              REAL    NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
  arch                  TEXT,
  genotype              TEXT    CHECK (genotype IS NULL OR json_valid(genotype)),
  nb201                 TEXT    CHECK (nb201 IS NULL OR json_valid(nb201)),
  last_checkpoint_epoch INTEGER,
  active_ms             INTEGER NOT NULL DEFAULT 0,
  running_since         INTEGER
);

INSERT INTO runs_new (id, kind, parent_id, name, status, config, seed, dataset_id, dataset_name, strategy, space,
                      created_at, started_at, finished_at, error, environment, best_accuracy, progress, arch,
                      genotype, nb201, last_checkpoint_epoch, active_ms, running_since)
SELECT id, kind, parent_id, name, status, config, seed, dataset_id, dataset_name, strategy, space,
       created_at, started_at, finished_at, error, environment, best_accuracy, progress, arch,
       genotype, nb201, last_checkpoint_epoch, active_ms, running_since
FROM runs;

DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;

CREATE INDEX runs_created_at ON runs (created_at);
CREATE INDEX runs_status_created_at ON runs (status, created_at);
CREATE INDEX runs_parent_id ON runs (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX runs_dataset_id ON runs (dataset_id) WHERE dataset_id IS NOT NULL;

-- The highest number known to be used. (A run deleted before this upgrade left no trace to learn its number.)
DELETE FROM sqlite_sequence WHERE name IN ('runs', 'runs_new');
INSERT INTO sqlite_sequence (name, seq) SELECT 'runs', coalesce(max(id), 0) FROM runs;
`;
