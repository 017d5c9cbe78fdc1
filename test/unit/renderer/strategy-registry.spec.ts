import { describe, expect, it } from 'vitest';
import { STRATEGY_DESCRIPTORS, STRATEGY_OPTION_SCHEMAS, type StrategyName } from '../../../src/shared/strategies/registry';
import { SPACES } from '../../../src/shared/spaces/registry';
import { isDecisionEpoch } from '../../../src/main/nas/strategies/sgas-decisions';
import { RENDERER_STRATEGIES, decisionsPerCell, plannedEpochs, rendererStrategy, strategyLabel } from '../../../src/renderer/src/strategies/registry';
import { optionFields } from '../../../src/renderer/src/lib/schema-fields';

const NAMES = Object.keys(STRATEGY_DESCRIPTORS) as StrategyName[];

describe('renderer strategy registry', () => {
  it('has an entry for every strategy the shared registry describes, and none it does not', () => {
    for (const name of NAMES) expect(rendererStrategy(name), name).not.toBeNull();
    expect(Object.keys(RENDERER_STRATEGIES).sort()).toEqual([...NAMES].sort());
  });

  it('lists panels for the events each strategy emits', () => {
    for (const name of NAMES) {
      const ids = RENDERER_STRATEGIES[name].runPanels.map((p) => p.id);
      expect(new Set(ids).size, `${name}: duplicate panel ids`).toBe(ids.length);
      const kinds = STRATEGY_DESCRIPTORS[name].eventKinds as readonly string[];
      if (kinds.includes('decision')) expect(ids, name).toEqual(expect.arrayContaining(['decisions', 'growing-cell']));
      if (kinds.includes('eigenvalue')) expect(ids, name).toContain('lambda');
      if ((STRATEGY_DESCRIPTORS[name].snapshotKinds as readonly string[]).includes('alpha')) expect(ids, name).toContain('alpha');
    }
  });

  it('names only real options of the schema as primary form fields', () => {
    for (const name of NAMES) {
      const keys = optionFields(STRATEGY_OPTION_SCHEMAS[name]).map((f) => f.key);
      for (const k of RENDERER_STRATEGIES[name].primaryOptions) expect(keys, `${name}.${k}`).toContain(k);
    }
  });

  it('plans SGAS epochs as the trainer schedules decisions: the last decision epoch plus the final epochs', () => {
    for (const space of SPACES) {
      const sp = { name: space, nodes: 3 };
      const decisions = decisionsPerCell(sp);
      for (const [warmup, decisionFreq, finalEpochs] of [[0, 1, 0], [9, 5, 5], [2, 3, 1]]) {
        // Walk the trainer's own schedule until `decisions` decisions are made.
        let made = 0;
        let epoch = 0;
        for (; made < decisions; epoch++) if (isDecisionEpoch(epoch, warmup, decisionFreq)) made++;
        const planned = plannedEpochs(sp, { name: 'sgas', warmup, decisionFreq, finalEpochs });
        expect(planned).toEqual({ epochs: epoch + finalEpochs, upperBound: false });
      }
    }
  });

  it('plans SGAS-es as an upper bound: every phase runs to its limit', () => {
    const planned = plannedEpochs({ name: 'nb201' }, { name: 'sgas-es', esStart: 0, decisionFreq: 2, finalEpochs: 1 });
    // 6 NB201 edges, each phase at most 2 epochs, then 1 final epoch.
    expect(planned).toEqual({ epochs: 2 + 2 + 2 + 2 + 2 + 2 + 1, upperBound: true });
    expect(decisionsPerCell({ name: 'darts', nodes: 4 })).toBe(8);
    expect(plannedEpochs({ name: 'nb201' }, { name: 'darts', epochs: 7 })).toEqual({ epochs: 7, upperBound: false });
  });

  it('labels strategies from their descriptors, with the α gradient order where known', () => {
    expect(strategyLabel('darts', 2)).toBe('DARTS (2nd order)');
    expect(strategyLabel('sgas-es', 1)).toBe('SGAS-es (1st order)');
    expect(strategyLabel('darts')).toBe('DARTS');
    expect(strategyLabel('someday')).toBe('someday');
  });
});
