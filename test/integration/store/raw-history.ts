import type Database from 'better-sqlite3';

// History written with plain SQL of the version-2 schema (001 + 002), so that tests of opening, migrating and
// damaging a database do not depend on today's repositories or run-config shape.

export function insertDataset(db: Database.Database, name = 'Fashion-MNIST'): number {
  return Number(
    db
      .prepare(
        `INSERT INTO datasets (name, format, location, shape, classes, train_count, test_count, class_counts, checksum, created_at)
         VALUES (?, 'idx', '/usr/share/datasets/fashion-mnist', '[28,28,1]', 10, 60000, 10000, '[6000]', 'sha256:abc', 1)`,
      )
      .run(name).lastInsertRowid,
  );
}

/** A run as RunRepository.create writes it: no explicit id, SQLite picks it. */
export function insertRun(
  db: Database.Database,
  o: { name?: string; status?: string; parentId?: number | null; datasetId?: number | null; createdAt?: number } = {},
): number {
  return Number(
    db
      .prepare(
        `INSERT INTO runs (kind, parent_id, name, status, config, seed, dataset_id, dataset_name, strategy, space, created_at,
                           started_at, finished_at, best_accuracy, progress, arch)
         VALUES ('search', ?, ?, ?, '{"dataset":"1","epochs":3}', 7, ?, 'Fashion-MNIST', 'darts', 'nb201', ?, 1000, 4500, 0.81, 1, 'arch')`,
      )
      .run(o.parentId ?? null, o.name ?? 'run', o.status ?? 'completed', o.datasetId ?? null, o.createdAt ?? 900).lastInsertRowid,
  );
}

/** Rows for the run in every table that refers to runs. */
export function fillRun(db: Database.Database, runId: number, { metrics = 50, logs = 20 } = {}): void {
  db.transaction(() => {
    const metric = db.prepare('INSERT INTO metrics (run_id, name, step, epoch, value) VALUES (?, ?, ?, ?, ?)');
    for (let step = 0; step < metrics; step++) metric.run(runId, 'train_loss', step, step / 10, 1 / (step + 1));
    const log = db.prepare("INSERT INTO logs (run_id, time, level, message) VALUES (?, ?, 'info', ?)");
    for (let i = 0; i < logs; i++) log.run(runId, i, `line ${i} of run ${runId}, long enough to fill some pages`);
    db.prepare(`INSERT INTO snapshots (run_id, epoch, kind, payload) VALUES (?, 1, 'alpha', '[[0.1,0.9]]')`).run(runId);
    db.prepare(`INSERT INTO decisions (run_id, epoch, cell_type, edge, op, scores) VALUES (?, 1, 'normal', '0-1', 'conv', '[1]')`).run(runId);
    db.prepare(`INSERT INTO artifacts (run_id, kind, epoch, path, size, checksum, created_at)
                VALUES (?, 'checkpoint', 1, ?, 10, 'sha256:x', 5)`).run(runId, `runs/${runId}/ckpt-1.bin`);
    db.prepare(`INSERT INTO notes (run_id, text, created_at) VALUES (?, ?, 6)`).run(runId, `note about #${runId}`);
    db.prepare(`INSERT INTO tags (run_id, tag) VALUES (?, 'keep')`).run(runId);
  })();
}

/** Every row of every table (sqlite_sequence aside), for before/after comparisons. */
export function dumpTables(db: Database.Database): Record<string, unknown[]> {
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1, 2`).all()]));
}
