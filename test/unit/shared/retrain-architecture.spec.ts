import { describe, expect, it } from 'vitest';
import { architectureProblem, parseArchitecture, retrainRecipe } from '../../../src/shared/strategies/retrain';
import { parseSearchConfig } from '../../../src/shared/config';

// The architecture a retrain accepts, as users paste it, and the errors that say what is wrong.

const NORMAL = [['sep_conv_3x3', 0], ['sep_conv_3x3', 1], ['sep_conv_3x3', 1], ['dil_conv_3x3', 2], ['dil_conv_3x3', 1], ['sep_conv_3x3', 2], ['skip_connect', 0], ['sep_conv_3x3', 4]];

describe('retrain architecture', () => {
  it('reads a NAS-Bench-201 arch string', () => {
    expect(parseArchitecture('|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|')).toEqual({
      space: 'nb201',
      ops: ['nor_conv_3x3', 'nor_conv_1x1', 'avg_pool_3x3', 'skip_connect', 'none', 'nor_conv_3x3'],
    });
  });

  it('reads a DARTS genotype as JSON and as the genotypes.py line, with the same result', () => {
    const json = parseArchitecture(JSON.stringify({ normal: NORMAL, reduce: NORMAL }));
    const tuples = NORMAL.map(([op, i]) => `('${op}', ${i})`).join(', ');
    const py = parseArchitecture(`Genotype(normal=[${tuples}], normal_concat=range(2, 6), reduce=[${tuples}], reduce_concat=[2, 3, 4, 5])`);
    expect(py).toEqual(json);
    expect(json).toMatchObject({ space: 'darts', nodes: 4, genotype: { normalConcat: [2, 3, 4, 5], reduceConcat: [2, 3, 4, 5] } });
  });

  it('names what is wrong', () => {
    expect(() => parseArchitecture('resnet')).toThrow(/Not an architecture: expected a NAS-Bench-201 arch string/);
    expect(() => parseArchitecture('{"normal": [["none", 0], ["skip_connect", 1]], "reduce": [["none", 0], ["skip_connect", 1]]}')).toThrow(/Entry 0 of the "normal" cell has op 'none'/);
    expect(() => parseArchitecture('{"normal": [["skip_connect", 0], ["skip_connect", 2]], "reduce": [["skip_connect", 0], ["skip_connect", 1]]}')).toThrow(/feeds node 0 from state 2; node 0 can read states 0\.\.1/);
    expect(() => parseArchitecture('{"normal": [["skip_connect", 0]]')).toThrow(/not valid JSON/);
  });

  it('checks the architecture against the run’s space', () => {
    const darts = parseSearchConfig({ dataset: 'd', space: { name: 'darts' }, strategy: { name: 'darts' } }).space;
    expect(architectureProblem(darts, '|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|')).toMatch(/choose the NAS-Bench-201 space/);
    const twoNodes = JSON.stringify({ normal: NORMAL.slice(0, 4), reduce: NORMAL.slice(0, 4) });
    expect(architectureProblem(darts, twoNodes)).toMatch(/has 2 intermediate nodes per cell, the space 4: set the space's nodes to 2/);
    expect(architectureProblem(darts, JSON.stringify({ normal: NORMAL, reduce: NORMAL }))).toBeNull();
  });

  it('a retrain config validates its architecture, and unset recipe values follow the space', () => {
    expect(() => parseSearchConfig({ dataset: 'd', strategy: { name: 'retrain', architecture: 'x' } })).toThrow(/strategy\.architecture: Not an architecture/);
    // A well-formed architecture of the other space is refused with the whole config (runs.create answers 400).
    const dartsGenotype = JSON.stringify({ normal: NORMAL, reduce: NORMAL });
    expect(() => parseSearchConfig({ dataset: 'd', space: { name: 'nb201' }, strategy: { name: 'retrain', architecture: dartsGenotype } })).toThrow(/strategy\.architecture: .*DARTS/);
    expect(parseSearchConfig({ dataset: 'd', space: { name: 'darts' }, strategy: { name: 'retrain', architecture: dartsGenotype } }).strategy.name).toBe('retrain');
    expect(retrainRecipe('nb201', {})).toEqual({ lr: 0.1, weightDecay: 5e-4, cutout: false });
    expect(retrainRecipe('darts', {})).toEqual({ lr: 0.025, weightDecay: 3e-4, cutout: true });
    expect(retrainRecipe('darts', { lr: 0.05, cutout: 'off' })).toEqual({ lr: 0.05, weightDecay: 3e-4, cutout: false });
    expect(retrainRecipe('nb201', { cutout: 'on' }).cutout).toBe(true);
  });
});
