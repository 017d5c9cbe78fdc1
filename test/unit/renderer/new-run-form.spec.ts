import { describe, expect, it } from 'vitest';
import { SearchConfigSchema, upgradeStoredConfig } from '../../../src/shared/config';
import { datasetErrors, minTrainLimit, strategiesFor, useNewRunForm } from '../../../src/renderer/src/components/new-run/use-new-run-form';

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
    for (const s of strategiesFor('darts')) expect(['darts', 'sgas', 'sgas-es']).toContain(s);
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
