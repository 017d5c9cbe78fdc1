import { describe, expect, it } from 'vitest';
import { parseSearchConfig } from '../../../src/shared/config';
import { architectureProblem, parseArchitecture, RetrainStrategySchema } from '../../../src/shared/strategies/retrain';

// The retrain's architecture text for the SPD space: an SPDNetNAS genotype (SPD op names) parses as an SPD
// cell, is refused in another space with the space to choose, and an op from the wrong list names the entry;
// the SPDNet baseline is an option of SPD retrains only.

const CELL = {
  normal: [['BiMap_0_normal', 0], ['WeightedPooling_normal', 1], ['Skip_normal', 0], ['BiMap_2_normal', 2]],
  reduce: [['BiMap_1_reduced', 0], ['MaxPooling_reduced', 1], ['BiMap_2_reduced', 0], ['Skip_normal', 2]],
};
const DARTS = { normal: [['sep_conv_3x3', 0], ['skip_connect', 1], ['sep_conv_3x3', 0], ['dil_conv_3x3', 2]], reduce: [['max_pool_3x3', 0], ['max_pool_3x3', 1], ['skip_connect', 2], ['max_pool_3x3', 0]] };

describe('SPD architectures in a retrain', () => {
  it('parses an SPDNetNAS genotype as an SPD cell', () => {
    const parsed = parseArchitecture(JSON.stringify(CELL));
    expect(parsed.space).toBe('spd');
    expect(parsed.space === 'spd' && parsed.genotype).toEqual({ ...CELL, normalConcat: [2, 3], reduceConcat: [2, 3] });
    expect(architectureProblem({ name: 'spd' }, JSON.stringify(CELL))).toBeNull();
  });

  it('refuses it in another space, and a DARTS genotype in the SPD space, naming the space to choose', () => {
    expect(architectureProblem({ name: 'darts', nodes: 2 }, JSON.stringify(CELL))).toBe("The architecture is an SPD genotype, but the run's space is DARTS: choose the SPD space.");
    expect(architectureProblem({ name: 'spd' }, JSON.stringify(DARTS))).toBe("The architecture is a DARTS genotype, but the run's space is SPD: choose the DARTS space.");
  });

  it('names the entry whose op is from the wrong list, and none', () => {
    const reducedInNormal = { ...CELL, normal: [['MaxPooling_reduced', 0], ...CELL.normal.slice(1)] };
    expect(() => parseArchitecture(JSON.stringify(reducedInNormal))).toThrow(/normal entry 0 \(MaxPooling_reduced from input 0\) must be one of WeightedPooling_normal, BiMap_0_normal/);
    const none = { ...CELL, reduce: [['none_reduced', 0], ...CELL.reduce.slice(1)] };
    expect(() => parseArchitecture(JSON.stringify(none))).toThrow(/reduce entry 0 \(none_reduced from input 0\) must be one of AvgPooling2_reduced/);
  });

  it('offers the SPDNet baseline for SPD architectures only', () => {
    expect(RetrainStrategySchema.safeParse({ name: 'retrain', architecture: JSON.stringify(CELL), network: 'spdnet' }).success).toBe(true);
    const r = RetrainStrategySchema.safeParse({ name: 'retrain', architecture: JSON.stringify(DARTS), network: 'spdnet' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['network'], message: expect.stringMatching(/SPDNet baseline reads SPD matrices/) });
  });

  it('trains the SPDNet baseline from the New-run form without an architecture, in the SPD space only', () => {
    const config = (space: string, strategy: Record<string, unknown>) => () => parseSearchConfig({ dataset: 'spd-synthetic', space: { name: space }, strategy: { name: 'retrain', ...strategy } });
    expect(config('spd', { network: 'spdnet' })().strategy).toMatchObject({ network: 'spdnet', architecture: '' });
    // The cell still needs its genotype; the baseline refuses image spaces, naming the space to choose.
    expect(config('spd', { network: 'architecture' })).toThrow(/architecture/i);
    expect(config('darts', { network: 'spdnet' })).toThrow(/SPDNet baseline trains on SPD matrices: choose the SPD space/);
  });
});
