// The runs list as a practitioner reads it (issue 9): seed groups, a retrain's evaluation, and denormalised
// columns the list sorts and filters on without parsing any JSON per row: the NAS-Bench-201 accuracy and rank
// of the found cell, the planned epochs, the backend, and the retrain's test accuracy. Plain ADD COLUMNs
// (no rebuild): every existing value stays where it is, and the new columns are filled from the JSON the rows
// already hold.
export const sql = /* sql */ `
ALTER TABLE runs ADD COLUMN group_id INTEGER;
ALTER TABLE runs ADD COLUMN evaluation TEXT CHECK (evaluation IS NULL OR json_valid(evaluation));
ALTER TABLE runs ADD COLUMN test_accuracy REAL;
ALTER TABLE runs ADD COLUMN nb201_cifar10 REAL;
ALTER TABLE runs ADD COLUMN nb201_rank INTEGER;
ALTER TABLE runs ADD COLUMN epochs INTEGER;
ALTER TABLE runs ADD COLUMN backend TEXT;

UPDATE runs SET nb201_cifar10 = json_extract(nb201, '$.cifar10'), nb201_rank = json_extract(nb201, '$.rank')
  WHERE nb201 IS NOT NULL;
-- A dry run trains nothing: no epochs of training, no backend.
UPDATE runs SET epochs = json_extract(config, '$.strategy.epochs'),
                backend = coalesce(json_extract(environment, '$.backend'), json_extract(config, '$.backend'))
  WHERE kind <> 'dry-run';

CREATE INDEX runs_group_id ON runs (group_id) WHERE group_id IS NOT NULL;
CREATE INDEX runs_strategy ON runs (strategy);
CREATE INDEX runs_space ON runs (space);
CREATE INDEX runs_dataset_name ON runs (dataset_name);
CREATE INDEX runs_nb201_cifar10 ON runs (nb201_cifar10) WHERE nb201_cifar10 IS NOT NULL;
CREATE INDEX runs_nb201_rank ON runs (nb201_rank) WHERE nb201_rank IS NOT NULL;

-- One note per run (the newest is kept when a run has several from before).
DELETE FROM notes WHERE id NOT IN (SELECT max(id) FROM notes GROUP BY run_id);
CREATE UNIQUE INDEX notes_run_unique ON notes (run_id);
`;
