import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/main/store/open-database';
import { MIGRATIONS } from '../../../src/main/store/migrations/index';
import { Store } from '../../../src/main/store/store';
import { SearchConfigSchema } from '../../../src/shared/config';
import { tempDataDir } from './helpers';

// Migration 4 reshapes every stored config from the flat, DARTS-only shape to { space: {…}, strategy: {…} }.
// The database is made by the schema the app had before (migrations 1–3), with configs exactly as that app
// wrote them (every field, defaults filled in by its schema).
const FLAT_NB201 = {
  name: 'old nb201 search', space: 'nb201', strategy: 'darts', order: 2, dataset: '1', epochs: 7, batchSize: 48,
  channels: 12, cells: 2, nodes: 4, ops: ['none', 'skip_connect', 'nor_conv_3x3'], trainLimit: 900, trainPortion: 0.6,
  augment: false, seed: 5, backend: 'wasm', recompute: 'off', wLr: 0.03, wLrMin: 0.002, momentum: 0.8,
  wWeightDecay: 0.0005, gradClip: 4, alphaLr: 0.0004, alphaWeightDecay: 0.002, alphaBeta1: 0.6, alphaBeta2: 0.99,
  allowNone: false,
};
const FLAT_DARTS_WITHOUT_CELLS = { space: 'darts', strategy: 'darts', dataset: '2', epochs: 3, channels: 8, nodes: 3 };

describe('migration 4 (strategy seam)', () => {
  it('converts every stored config, keeps every value, and the runs open and clone', () => {
    const tmp = tempDataDir();
    try {
      const v3 = openDatabase(tmp.dbPath, { migrations: MIGRATIONS.slice(0, 3) });
      const insert = v3.prepare(
        `INSERT INTO runs (kind, name, status, config, seed, dataset_name, strategy, space, created_at)
         VALUES ('search', ?, 'completed', ?, 0, 'demo', 'darts', ?, 1000)`,
      );
      const a = Number(insert.run('a', JSON.stringify(FLAT_NB201), 'nb201').lastInsertRowid);
      const b = Number(insert.run('b', JSON.stringify(FLAT_DARTS_WITHOUT_CELLS), 'darts').lastInsertRowid);
      v3.prepare('INSERT INTO metrics (run_id, step, epoch, name, value) VALUES (?, 10, 0, ?, 0.5)').run(a, 'val_acc');
      v3.close();

      const store = Store.open(tmp.dbPath);
      try {
        const stored = JSON.parse((store.db.prepare('SELECT config FROM runs WHERE id = ?').get(a) as { config: string }).config);
        expect(stored).toEqual({
          name: 'old nb201 search', dataset: '1', trainLimit: 900, trainPortion: 0.6, augment: false, batchSize: 48, seed: 5,
          backend: 'wasm', recompute: 'off',
          space: { name: 'nb201', channels: 12, cells: 2, ops: ['none', 'skip_connect', 'nor_conv_3x3'], allowNone: false },
          strategy: {
            name: 'darts', order: 2, epochs: 7, wLr: 0.03, wLrMin: 0.002, momentum: 0.8, wWeightDecay: 0.0005, gradClip: 4,
            alphaLr: 0.0004, alphaWeightDecay: 0.002, alphaBeta1: 0.6, alphaBeta2: 0.99,
          },
        });
        // The run detail parses through today's schema (defaults for fields added since: λ_max off for DARTS).
        const detail = store.runs.get(a)!;
        expect(SearchConfigSchema.safeParse(detail.config).success).toBe(true);
        expect(detail.config.strategy).toMatchObject({ name: 'darts', order: 2, epochs: 7, lambdaMax: false });
        // The old schema's `cells` default was 5 in both spaces: a DARTS run stored without it keeps 5, not 8.
        expect(store.runs.get(b)!.config.space).toEqual({ name: 'darts', channels: 8, cells: 5, nodes: 3, ops: [] });
        // Clone: the migrated config creates a new run as it is.
        const clone = store.runs.create(detail.config, { id: null, name: 'demo' });
        expect(store.runs.get(clone)!.config).toEqual(detail.config);
        expect(store.metrics.series(a)).toHaveProperty('val_acc');
      } finally {
        store.close();
      }
    } finally {
      tmp.dispose();
    }
  });
});
