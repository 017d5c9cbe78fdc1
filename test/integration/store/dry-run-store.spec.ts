import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunDetailSchema } from '../../../src/shared/api';
import { parseSearchConfig } from '../../../src/shared/config';
import type { TrainerEvent } from '../../../src/shared/events';
import { Store } from '../../../src/main/store/store';
import { searchConfig, tempDataDir } from './helpers';

// Dry runs in the store: the kind follows the config, and the result's summary is kept with the run.

const DRY_RUN = parseSearchConfig({
  estimation: 'nb201-table',
  space: { name: 'nb201' },
  strategy: { name: 'evolution', samples: 50, population: 10, sampleSize: 3 },
  seed: 1,
});

const SUMMARY = {
  evaluations: 50,
  distinctArchitectures: 41,
  signal: 'cifar10_test',
  notes: ['The shipped table has test accuracies only: the search used them.'],
};

function resultEvent(summary?: typeof SUMMARY): TrainerEvent {
  return {
    type: 'result',
    genotype: { normal: [['nor_conv_3x3', 0]] },
    arch: '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|',
    nb201: { arch: 'a', index: 2, cifar10: 94.2, cifar100: 72.1, imagenet16: 45.9, rank: 3, percentile: 99.98, gapToOptimum: 0.2 },
    trainAccuracy: 0,
    valAccuracy: 0,
    seconds: 0.4,
    ...(summary ? { summary } : {}),
  };
}

describe('dry runs in the store', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: Store;
  beforeEach(() => {
    tmp = tempDataDir();
    store = Store.open(tmp.dbPath);
  });
  afterEach(() => {
    store.close();
    tmp.dispose();
  });

  it("stores a dry-run config as kind 'dry-run' without a dataset, and a search config as 'search'", () => {
    const dry = store.runs.create(DRY_RUN, { id: null, name: 'NAS-Bench-201 table' });
    // Even when a caller asks for another kind: the config decides what the run is.
    const dryAsked = store.runs.create(DRY_RUN, { id: null, name: 'NAS-Bench-201 table' }, { kind: 'search' });
    const search = store.runs.create(searchConfig(), { id: null, name: 'Fashion-MNIST' });
    expect(store.runs.get(dry)).toMatchObject({ kind: 'dry-run', datasetName: 'NAS-Bench-201 table', strategy: 'evolution', space: 'nb201', seed: 1, summary: null });
    expect(store.runs.get(dryAsked)!.kind).toBe('dry-run');
    expect(store.runs.get(search)!.kind).toBe('search');
    expect(store.db.prepare('SELECT dataset_id FROM runs WHERE id = ?').pluck().get(dry)).toBeNull();
    expect(store.runs.get(dry)!.config).toEqual(DRY_RUN);
    expect(store.runs.list({ search: 'table' }).map((r) => [r.id, r.kind])).toEqual([[dryAsked, 'dry-run'], [dry, 'dry-run']]);
  });

  it("keeps the result's summary with the run and returns it in RunDetail; null when the result has none", () => {
    const dry = store.runs.create(DRY_RUN, { id: null, name: 'NAS-Bench-201 table' });
    const search = store.runs.create(searchConfig(), { id: null, name: 'Fashion-MNIST' });
    store.ingest(dry, [resultEvent(SUMMARY)]);
    store.ingest(search, [resultEvent()]);

    const detail = store.runs.get(dry)!;
    expect(RunDetailSchema.parse(detail)).toEqual(detail);
    expect(detail.summary).toEqual(SUMMARY);
    expect(detail.nb201).toMatchObject({ cifar10: 94.2, rank: 3 });
    expect(detail.progress).toBe(1);
    expect(store.runs.get(search)!.summary).toBeNull();

    // After a restart, from the file.
    store.close();
    store = Store.open(tmp.dbPath);
    expect(store.runs.get(dry)!.summary).toEqual(SUMMARY);
  });

  it('a clone of a dry run is a dry run with the same config; deleting one leaves the other', () => {
    const dry = store.runs.create(DRY_RUN, { id: null, name: 'NAS-Bench-201 table' });
    store.ingest(dry, [resultEvent(SUMMARY)]);
    const clone = store.runs.create(store.runs.get(dry)!.config, { id: null, name: 'NAS-Bench-201 table' });
    expect(store.runs.get(clone)).toMatchObject({ kind: 'dry-run', config: DRY_RUN, summary: null, status: 'queued' });
    expect(store.runs.delete(dry)).toBe(true);
    expect(store.runs.get(dry)).toBeNull();
    expect(store.runs.get(clone)!.kind).toBe('dry-run');
  });
});
