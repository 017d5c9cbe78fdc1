import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunDetailSchema, RunSummarySchema } from '../../../src/shared/api';
import { MIGRATIONS } from '../../../src/main/store/migrations/index';
import { openDatabase, type SqliteDatabase } from '../../../src/main/store/open-database';
import { Store } from '../../../src/main/store/store';
import { searchConfig, tempDataDir } from './helpers';
import { dumpTables, fillRun, insertDataset } from './raw-history';

// Migration 6 adds the list's columns (group, evaluation, NB201 accuracy and rank, epochs, backend, test
// accuracy) by ADD COLUMN and fills them from the JSON each row already holds. The history is written with
// plain SQL of the version-5 schema.

const V5 = MIGRATIONS.slice(0, 5);
const NEW_COLUMNS = ['group_id', 'evaluation', 'test_accuracy', 'nb201_cifar10', 'nb201_rank', 'epochs', 'backend'];

function insertV5Run(db: SqliteDatabase, o: { name: string; datasetId: number | null; config: unknown; kind: string; nb201: string | null; environment: string | null }): number {
  return Number(
    db
      .prepare(
        `INSERT INTO runs (kind, name, status, config, seed, dataset_id, dataset_name, strategy, space, created_at,
                           started_at, finished_at, error, environment, best_accuracy, progress, arch, genotype, nb201,
                           last_checkpoint_epoch, active_ms, running_since, collapse_warning, summary)
         VALUES (?, ?, 'completed', ?, 7, ?, 'Fashion-MNIST', 'darts', 'nb201', 900, 1000, 4500, NULL, ?, 0.81, 1,
                 '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|nor_conv_3x3~2|', '{"normal":[["nor_conv_3x3",0]]}', ?,
                 2, 3500, NULL, 'λ_max rose', '{"evaluations":3,"distinctArchitectures":3,"signal":"cifar10_valid","notes":[]}')`,
      )
      .run(o.kind, o.name, JSON.stringify(o.config), o.datasetId, o.environment, o.nb201).lastInsertRowid,
  );
}

describe('migration 6 (history columns)', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  beforeEach(() => {
    tmp = tempDataDir();
  });
  afterEach(() => tmp.dispose());

  it('keeps every value of a version-5 history and fills the new columns from the stored JSON', () => {
    const v5 = openDatabase(tmp.dbPath, { migrations: V5 });
    const datasetId = insertDataset(v5);
    const config = searchConfig({ dataset: String(datasetId), name: 'old search', epochs: 12, backend: 'wasm' });
    const nb201 = '{"arch":"x","index":1,"cifar10":93.1,"cifar100":70.2,"imagenet16":44.5,"rank":40,"percentile":99.7,"gapToOptimum":1.2}';
    const env = '{"appVersion":"0.4.0","backend":"cpu","device":"CPU","fallbackReason":null}';
    const a = insertV5Run(v5, { name: 'with table score', datasetId, config, kind: 'search', nb201, environment: env });
    const b = insertV5Run(v5, { name: 'no env yet', datasetId, config, kind: 'search', nb201: null, environment: null });
    const c = insertV5Run(v5, { name: 'dry', datasetId: null, config: { ...config, estimation: 'nb201-table' }, kind: 'dry-run', nb201, environment: null });
    for (const id of [a, b, c]) fillRun(v5, id);
    // Two notes on one run from before: the newest stays (one note per run from now on).
    v5.prepare("INSERT INTO notes (run_id, text, created_at) VALUES (?, 'newer note', 9)").run(a);
    const before = dumpTables(v5);
    v5.close();

    const db = openDatabase(tmp.dbPath, { migrations: MIGRATIONS.slice(0, 6) });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(6);
      const after = dumpTables(db);
      const strip = (r: unknown) => Object.fromEntries(Object.entries(r as object).filter(([k]) => !NEW_COLUMNS.includes(k)));
      expect(after.runs!.map(strip)).toEqual(before.runs);
      expect(after.notes).toEqual((before.notes as { run_id: number; text: string }[]).filter((n) => !(n.run_id === a && n.text !== 'newer note')));
      expect({ ...after, runs: null, notes: null }).toEqual({ ...before, runs: null, notes: null });

      const row = (id: number) => db.prepare(`SELECT ${NEW_COLUMNS.join(', ')} FROM runs WHERE id = ?`).get(id);
      expect(row(a)).toEqual({ group_id: null, evaluation: null, test_accuracy: null, nb201_cifar10: 93.1, nb201_rank: 40, epochs: 12, backend: 'cpu' });
      // No environment yet: the configured backend.
      expect(row(b)).toEqual({ group_id: null, evaluation: null, test_accuracy: null, nb201_cifar10: null, nb201_rank: null, epochs: 12, backend: 'wasm' });
      // A dry run trains nothing: no epochs, no backend.
      expect(row(c)).toMatchObject({ nb201_cifar10: 93.1, nb201_rank: 40, epochs: null, backend: null });
    } finally {
      db.close();
    }

    const store = Store.open(tmp.dbPath);
    try {
      const detail = store.runs.get(a)!;
      expect(RunDetailSchema.parse(detail)).toEqual(detail);
      expect(detail).toMatchObject({ tags: ['keep'], note: 'newer note', nb201Accuracy: 93.1, nb201Rank: 40, epochs: 12, backend: 'cpu', accuracy: 0.81, accuracyMeasure: 'search-val', evaluation: null, children: [] });
      const dry = store.runs.summary(c)!;
      expect(RunSummarySchema.parse(dry)).toEqual(dry);
      expect(dry.accuracyMeasure).toBe('table');
    } finally {
      store.close();
    }
  });
});
