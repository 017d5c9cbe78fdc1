import { describe, expect, it } from 'vitest';
import { SearchConfigSchema, isDryRun, upgradeStoredConfig } from '../../../src/shared/config';
import { STRATEGY_DESCRIPTORS, type StrategyName } from '../../../src/shared/strategies/registry';
import {
  canDryRun,
  datasetErrors,
  dryRunHiddenStrategyKeys,
  minTrainLimit,
  strategiesFor,
  tableBudgetKey,
  useNewRunForm,
} from '../../../src/renderer/src/components/new-run/use-new-run-form';

// The New-run form's state and validation (no DOM: the composable the view binds its inputs to).

function filled() {
  const f = useNewRunForm();
  f.common.dataset = '3';
  return f;
}

describe('New-run form', () => {
  it('starts from the schema defaults and validates to a config the server accepts', () => {
    const f = filled();
    expect(f.parsed.value.success).toBe(true);
    const c = SearchConfigSchema.parse(f.candidate.value);
    expect(c.space.name).toBe('nb201');
    expect(c.strategy.name).toBe('darts');
  });

  it('starts InstaNAS at its descriptor’s batch (64 outgrows wasm at width 1); a batch the user chose stays', () => {
    const f = filled();
    expect(f.common.batchSize).toBe(64);
    f.chooseSpace('mobilenet');
    expect(f.strategy.name).toBe('instanas');
    expect(f.common.batchSize).toBe(STRATEGY_DESCRIPTORS.instanas.commonDefaults?.batchSize);
    expect(f.common.batchSize).toBeLessThan(64);
    expect(SearchConfigSchema.parse(f.candidate.value).batchSize).toBe(f.common.batchSize);
    f.chooseSpace('nb201');
    expect(f.common.batchSize).toBe(64);
    f.common.batchSize = 12;
    f.chooseSpace('mobilenet');
    expect(f.common.batchSize).toBe(12);
  });

  it('retrains the SPDNet baseline in the SPD space with no architecture; the cell still needs one', () => {
    const f = filled();
    f.chooseSpace('spd');
    f.chooseStrategy('retrain');
    f.strategy.network = 'spdnet';
    f.strategy.architecture = '';
    expect(f.errors.value).toEqual({});
    expect(SearchConfigSchema.parse(f.candidate.value).strategy).toMatchObject({ name: 'retrain', network: 'spdnet', architecture: '' });
    f.strategy.network = 'architecture';
    expect(f.errors.value['strategy.architecture']).toMatch(/architecture/i);
  });

  it('reports a strategy option by its path, with the bound in words', () => {
    const f = filled();
    f.chooseStrategy('sgas-es');
    f.strategy.decisionFreq = 0;
    expect(f.errors.value['strategy.decisionFreq']).toBe('Must be at least 1.');
    f.strategy.decisionFreq = '';
    expect(f.errors.value['strategy.decisionFreq']).toBe('Enter a number.');
    f.strategy.decisionFreq = 2.5;
    expect(f.errors.value['strategy.decisionFreq']).toBe('Must be a whole number.');
  });

  it('reports a cross-field rule even while another field is invalid', () => {
    const f = filled();
    f.strategy.wLrMin = 0.5; // above wLr = 0.025
    f.space.channels = 0;
    expect(f.errors.value['space.channels']).toBe('Must be at least 2.');
    expect(f.errors.value['strategy.wLrMin']).toMatch(/must not exceed the weight learning rate/i);
  });

  it('only offers strategies that search the chosen space, and switching space resets its options', () => {
    for (const space of ['darts', 'nb201'] as const) {
      const expected = (Object.keys(STRATEGY_DESCRIPTORS) as StrategyName[]).filter((n) => (STRATEGY_DESCRIPTORS[n].spaces as readonly string[]).includes(space));
      expect(strategiesFor(space)).toEqual(expected);
    }
    const f = filled();
    f.space.cells = 2;
    f.chooseSpace('darts');
    expect(f.space).toMatchObject({ name: 'darts', cells: 8, nodes: 4 });
    f.space.channels = 5;
    expect(f.errors.value['space.channels']).toMatch(/even/);
  });

  it('keeps options the user changed when the strategy changes, and takes the new strategy defaults otherwise', () => {
    const f = filled();
    f.strategy.order = 2;
    f.chooseStrategy('sgas');
    expect(f.strategy).toMatchObject({ name: 'sgas', order: 2, warmup: 9, decisionFreq: 5 });
    f.chooseStrategy('sgas-es');
    // sgas's default decisionFreq (5) was not the user's: SGAS-es gets its own (15).
    expect(f.strategy).toMatchObject({ name: 'sgas-es', order: 2, decisionFreq: 15 });
  });

  it('clones an old flat run config (migrated by the store) value for value', () => {
    const old = { space: 'darts', strategy: 'darts', dataset: '3', order: 2, epochs: 7, channels: 6, cells: 3, nodes: 3, batchSize: 16, seed: 4 };
    const stored = SearchConfigSchema.parse(upgradeStoredConfig(old));
    const f = useNewRunForm();
    f.reset(stored);
    expect(f.parsed.value.success).toBe(true);
    expect(SearchConfigSchema.parse(f.candidate.value)).toEqual(stored);
    expect(f.space).toMatchObject({ name: 'darts', channels: 6, cells: 3, nodes: 3 });
    expect(f.strategy).toMatchObject({ name: 'darts', order: 2, epochs: 7 });
  });

  it('asks for a dataset', () => {
    const f = useNewRunForm();
    expect(f.errors.value.dataset).toBe('Choose a dataset.');
  });

  it("refuses a train limit below the trainer's minimum for the chosen dataset before the run starts", () => {
    const demo = { classes: 10, trainCount: 3000 };
    const f = useNewRunForm(() => demo);
    f.common.dataset = '1';
    f.common.trainLimit = 5;
    // The schema alone accepts it; the dataset rule does not, and names the smallest limit that works.
    expect(f.parsed.value.success).toBe(true);
    expect(f.errors.value.trainLimit).toContain(`At least ${minTrainLimit(10)} for 10 classes`);
    f.common.trainLimit = minTrainLimit(10);
    expect(f.errors.value).toEqual({});
    f.common.trainLimit = 0;
    expect(f.errors.value).toEqual({});
  });

  it('leaves the train limit alone without a dataset, or when the dataset itself is that small', () => {
    expect(datasetErrors(5, null)).toEqual({});
    expect(datasetErrors(5, { classes: 10, trainCount: 20 })).toEqual({});
    expect(datasetErrors(39, { classes: 10, trainCount: 3000 })).toHaveProperty('trainLimit');
  });
});

describe('New-run form: dry run on the NAS-Bench-201 table', () => {
  it('is offered only for the NAS-Bench-201 space and strategies with a table budget', () => {
    for (const s of ['mdenas', 'random', 'evolution']) expect(canDryRun('nb201', s), s).toBe(true);
    for (const s of ['darts', 'sgas', 'sgas-es']) expect(canDryRun('nb201', s), s).toBe(false);
    expect(canDryRun('darts', 'evolution')).toBe(false);
    const f = filled();
    f.chooseEstimation('nb201-table');
    expect(f.common.estimation).toBe('supernet'); // DARTS has no dry run
  });

  it('needs no dataset, sends an empty one, and the server-side schema accepts it as a dry run', () => {
    const f = useNewRunForm(() => ({ classes: 10, trainCount: 3000 }));
    f.common.dataset = '2';
    f.common.trainLimit = 5; // would be refused for training; a dry run reads no images
    f.chooseStrategy('evolution');
    f.chooseEstimation('nb201-table');
    expect(f.dryRun.value).toBe(true);
    expect(f.errors.value).toEqual({});
    const c = SearchConfigSchema.parse(f.candidate.value);
    expect(c).toMatchObject({ estimation: 'nb201-table', dataset: '', strategy: { name: 'evolution', samples: 100 } });
    expect(isDryRun(c)).toBe(true);
    // Back to training: the dataset choice was kept, and its rules apply again.
    f.chooseEstimation('supernet');
    expect(f.candidate.value.dataset).toBe('2');
    expect(f.errors.value.trainLimit).toBeDefined();
  });

  it('becomes a training run again when the space or strategy has no dry run', () => {
    const f = filled();
    f.chooseStrategy('random');
    f.chooseEstimation('nb201-table');
    f.chooseStrategy('sgas');
    expect(f.dryRun.value).toBe(false);
    f.chooseStrategy('mdenas');
    f.chooseEstimation('nb201-table');
    f.chooseSpace('darts');
    expect(f.common.estimation).toBe('supernet');
  });

  it('names the budget each strategy counts table queries with, and hides what only trains a supernet', () => {
    expect(tableBudgetKey('mdenas')).toBe('epochs');
    expect(tableBudgetKey('evolution')).toBe('samples');
    expect(tableBudgetKey('darts')).toBeNull();
    const evo = dryRunHiddenStrategyKeys('evolution');
    for (const k of ['epochs', 'wLr', 'momentum', 'valBatches']) expect(evo.has(k), k).toBe(true);
    for (const k of ['samples', 'population', 'sampleSize']) expect(evo.has(k), k).toBe(false);
    // MdeNAS's epochs are its table queries in a dry run.
    expect(dryRunHiddenStrategyKeys('mdenas').has('epochs')).toBe(false);
  });

  it('keeps a cloned dry run a dry run, value for value', () => {
    const stored = SearchConfigSchema.parse({ estimation: 'nb201-table', seed: 7, strategy: { name: 'evolution', samples: 60, population: 10, sampleSize: 3 } });
    const f = useNewRunForm();
    f.reset(stored);
    expect(f.dryRun.value).toBe(true);
    expect(f.parsed.value.success).toBe(true);
    expect(SearchConfigSchema.parse(f.candidate.value)).toEqual(stored);
  });
});
