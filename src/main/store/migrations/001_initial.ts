// Schema v1: the data model of ARCHITECTURE.md §4, plus a `logs` table (see below).
// Kept as a TypeScript string so the bundler ships it inside the main build (a .sql file would not be copied).
export const sql = /* sql */ `
-- 'NASS' in the header marks the file as ours, so a foreign SQLite file is told apart from an empty one.
PRAGMA application_id = 1312904019;

CREATE TABLE datasets (
  id            INTEGER PRIMARY KEY,
  name          TEXT    NOT NULL,
  format        TEXT    NOT NULL,
  location      TEXT    NOT NULL,
  shape         TEXT    NOT NULL CHECK (json_valid(shape)),        -- [H, W, C]
  classes       INTEGER NOT NULL,
  train_count   INTEGER NOT NULL,
  test_count    INTEGER NOT NULL,
  class_counts  TEXT    NOT NULL CHECK (json_valid(class_counts)),
  checksum      TEXT    NOT NULL,
  created_at    INTEGER NOT NULL                                   -- ms since the epoch, like every *_at column
);
CREATE INDEX datasets_name ON datasets (name);

CREATE TABLE runs (
  id                    INTEGER PRIMARY KEY,
  kind                  TEXT    NOT NULL CHECK (kind IN ('search', 'retrain', 'evaluate')),
  parent_id             INTEGER REFERENCES runs (id) ON DELETE SET NULL,  -- lineage: a retrain points at its search
  name                  TEXT    NOT NULL,
  status                TEXT    NOT NULL
                        CHECK (status IN ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled')),
  config                TEXT    NOT NULL CHECK (json_valid(config)),      -- the full SearchConfig
  seed                  INTEGER NOT NULL,
  dataset_id            INTEGER REFERENCES datasets (id) ON DELETE SET NULL,
  -- Denormalised for the runs list, and kept when the dataset is deleted later.
  dataset_name          TEXT    NOT NULL,
  strategy              TEXT    NOT NULL,
  space                 TEXT    NOT NULL,
  created_at            INTEGER NOT NULL,
  started_at            INTEGER,
  finished_at           INTEGER,
  error                 TEXT,
  environment           TEXT    CHECK (environment IS NULL OR json_valid(environment)),
  -- Denormalised: the highest validation accuracy (0..1) seen so far, maintained as metrics arrive.
  best_accuracy         REAL,
  progress              REAL    NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
  arch                  TEXT,
  genotype              TEXT    CHECK (genotype IS NULL OR json_valid(genotype)),
  nb201                 TEXT    CHECK (nb201 IS NULL OR json_valid(nb201)),
  last_checkpoint_epoch INTEGER
);
CREATE INDEX runs_created_at ON runs (created_at);
CREATE INDEX runs_status_created_at ON runs (status, created_at);
CREATE INDEX runs_parent_id ON runs (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX runs_dataset_id ON runs (dataset_id) WHERE dataset_id IS NOT NULL;

-- The time series. Keyed (and clustered) by (run, name, step): a chart reads one contiguous range, and a
-- resumed run that re-emits a step overwrites the old point instead of duplicating it.
CREATE TABLE metrics (
  run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name    TEXT    NOT NULL,
  step    INTEGER NOT NULL,
  epoch   REAL    NOT NULL,
  value   REAL    NOT NULL,
  PRIMARY KEY (run_id, name, step)
) WITHOUT ROWID;

CREATE TABLE snapshots (
  id       INTEGER PRIMARY KEY,
  run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  epoch    REAL    NOT NULL,
  kind     TEXT    NOT NULL CHECK (kind IN ('alpha', 'probabilities', 'genotype', 'policy')),
  payload  TEXT    NOT NULL CHECK (json_valid(payload))
);
CREATE INDEX snapshots_run_kind_epoch ON snapshots (run_id, kind, epoch);

CREATE TABLE decisions (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  epoch      REAL    NOT NULL,
  cell_type  TEXT    NOT NULL,
  edge       TEXT    NOT NULL,
  op         TEXT,                      -- NULL for an early stop that fixes no op
  scores     TEXT    CHECK (scores IS NULL OR json_valid(scores))
);
CREATE INDEX decisions_run_epoch ON decisions (run_id, epoch);

CREATE TABLE artifacts (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  kind        TEXT    NOT NULL CHECK (kind IN ('checkpoint', 'model', 'export')),
  epoch       INTEGER,
  path        TEXT    NOT NULL,
  size        INTEGER NOT NULL,
  checksum    TEXT    NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX artifacts_run_kind_epoch ON artifacts (run_id, kind, epoch);

CREATE TABLE notes (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  text        TEXT    NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX notes_run ON notes (run_id);

CREATE TABLE tags (
  run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  tag     TEXT    NOT NULL,
  PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE INDEX tags_tag ON tags (tag);

-- Extends ARCHITECTURE.md §4: the run's event log (trainer log and error events), shown on the run page.
CREATE TABLE logs (
  id       INTEGER PRIMARY KEY,
  run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  time     INTEGER NOT NULL,
  level    TEXT    NOT NULL,
  message  TEXT    NOT NULL
);
CREATE INDEX logs_run ON logs (run_id, id);
`;
