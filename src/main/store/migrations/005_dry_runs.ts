// Dry runs (issue 8): a search on the NAS-Bench-201 table instead of a dataset is stored as a run of kind
// 'dry-run', and the result's summary (evaluations, distinct architectures, the accuracy the search used, notes
// to the user) gets a column.
//
// A CHECK constraint cannot be altered in place, so `runs` is rebuilt as migration 3 does (header comment there):
// new table, copy every row with its id, drop the old one, rename, recreate the indexes. The runner turns
// foreign keys off around it, so no row referring to a run is touched, and checks `foreign_key_check` before
// committing. AUTOINCREMENT's high-water mark in sqlite_sequence is carried over, so no run number is reused.
export const sql = /* sql */ `
CREATE TABLE runs_new (
  id                    INTEGER PRIMARY KEY AUTOINCREMENT,
  kind                  TEXT    NOT NULL CHECK (kind IN ('search', 'retrain', 'evaluate', 'dry-run')),
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
  running_since         INTEGER,
  collapse_warning      TEXT,
  summary               TEXT    CHECK (summary IS NULL OR json_valid(summary))
);

INSERT INTO runs_new (id, kind, parent_id, name, status, config, seed, dataset_id, dataset_name, strategy, space,
                      created_at, started_at, finished_at, error, environment, best_accuracy, progress, arch,
                      genotype, nb201, last_checkpoint_epoch, active_ms, running_since, collapse_warning)
SELECT id, kind, parent_id, name, status, config, seed, dataset_id, dataset_name, strategy, space,
       created_at, started_at, finished_at, error, environment, best_accuracy, progress, arch,
       genotype, nb201, last_checkpoint_epoch, active_ms, running_since, collapse_warning
FROM runs;

-- Read before the old table goes: its row in sqlite_sequence goes with it.
CREATE TEMP TABLE runs_seq AS SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'runs'), 0),
                                         coalesce((SELECT max(id) FROM runs), 0)) AS seq;

DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;

CREATE INDEX runs_created_at ON runs (created_at);
CREATE INDEX runs_status_created_at ON runs (status, created_at);
CREATE INDEX runs_parent_id ON runs (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX runs_dataset_id ON runs (dataset_id) WHERE dataset_id IS NOT NULL;

DELETE FROM sqlite_sequence WHERE name IN ('runs', 'runs_new');
INSERT INTO sqlite_sequence (name, seq) SELECT 'runs', seq FROM temp.runs_seq;
DROP TABLE temp.runs_seq;
`;
