import { describe, expect, it } from 'vitest';
import { RunDetailSchema, type RunDetail } from '../../../src/shared/api';
import type { Point } from '../../../src/renderer/src/stores/run';
import { blockLabels, byEpoch, cutPercent, isPolicySnapshot, keyFigures, pathShape, phases, policyRows, tradeoff, windowBand } from '../../../src/renderer/src/strategies/instanas/instanas-view';
import { instanasRenderer } from '../../../src/renderer/src/strategies/instanas';
import { plannedEpochs } from '../../../src/renderer/src/strategies/registry';
import { instanasResultFixture } from '../../support/instanas-result';

// The InstaNAS panels' data: curves per epoch with the phases, the latency window as a band, the trade-off
// points and the key figures of a result, and which panels a run shows at which stage.

describe('InstaNAS run view data', () => {
  it('puts one point per epoch at epoch + 1 (the later value of a repeated epoch wins) and finds the two phases', () => {
    const keep: Point[] = [[10, 0, 1], [20, 1, 0.75], [30, 1, 0.5]];
    const reward: Point[] = [[40, 2, 3.1], [50, 3, 4.2]];
    expect(byEpoch(keep)).toEqual([[1, 1], [2, 0.5]]);
    expect(phases(byEpoch(keep), byEpoch(reward))).toEqual({ pretrain: [1, 2], search: [3, 4] });
    expect(phases([], [])).toEqual({ pretrain: null, search: null });
  });

  it('draws the latency window as a band whose top is ub at every epoch both bounds were recorded', () => {
    const lb: [number, number][] = [[3, 0.4], [4, 0.4], [5, 0.4]];
    const ub: [number, number][] = [[3, 2.0], [4, 1.6]];
    const band = windowBand(lb, ub);
    expect(band.low.map(([x]) => x)).toEqual([3, 4]);
    band.low.forEach(([x, l], i) => expect(l + band.height[i]![1]).toBeCloseTo(ub.find((u) => u[0] === x)![1], 12));
    expect(band.high).toEqual(ub);
  });

  it('reads a policy bit string as blocks × ops and counts what it runs', () => {
    expect(policyRows('1000001100', 5)).toEqual([[true, false, false, false, false], [false, true, true, false, false]]);
    expect(pathShape('10000'.repeat(4), 5)).toEqual({ enabled: 4, emptyBlocks: 0 });
    expect(pathShape('00000'.repeat(3) + '11111', 5)).toEqual({ enabled: 5, emptyBlocks: 3 });
    const r = instanasResultFixture(4);
    expect(blockLabels(4, r.latency.blocks)).toEqual(['0 · s0 ↓', '1 · s0', '2 · s1 ↓', '3 · s1']);
  });

  it('recognises a policy snapshot only when every usage row has one value per op', () => {
    expect(isPolicySnapshot({ ops: ['a', 'b'], usage: [[0.1, 0.9]], meanLatency: 1, distinct: 2 })).toBe(true);
    expect(isPolicySnapshot({ ops: ['a', 'b'], usage: [[0.1]], meanLatency: 1, distinct: 2 })).toBe(false);
    expect(isPolicySnapshot({ normal: [[0.5]] })).toBe(false);
  });

  it('places variants (fastest first), the returned policies and the baseline on the accuracy–latency chart', () => {
    const r = instanasResultFixture();
    const t = tradeoff(r);
    expect(t.variants.map((v) => v.label)).toEqual(['E', 'D', 'C', 'B', 'A']);
    for (let i = 1; i < t.variants.length; i++) expect(t.variants[i]!.latency).toBeGreaterThanOrEqual(t.variants[i - 1]!.latency);
    expect(t.baseline).toMatchObject({ latency: r.baselineModel.latency, accuracy: r.baselineModel.testAccuracy });
    expect(t.final).toMatchObject({ latency: r.policy.meanLatency, accuracy: r.testAccuracy });
    // A variant without a test measurement is drawn at its validation accuracy, and says so.
    const noTest = tradeoff({ ...r, variants: [{ ...r.variants[0]!, testAccuracy: null }] });
    expect(noTest.variants[0]).toMatchObject({ accuracy: r.variants[0]!.valAccuracy, validation: true });
  });

  it('states the latency cut against the baseline with its sign, and when nothing was measured', () => {
    const r = instanasResultFixture();
    const faster = { ...r, policy: { ...r.policy, meanLatency: r.baselineModel.latency / 2 } };
    const slower = { ...r, policy: { ...r.policy, meanLatency: r.baselineModel.latency * 1.25, measuredMean: null, measuredStd: null } };
    const fig = (x: typeof r, key: string) => keyFigures(x).find((f) => f.key === key)!.value;
    expect(fig(faster, 'cut')).toMatch(/^−50\.0 %/);
    expect(fig(slower, 'cut')).toBe('+25.0 %');
    expect(fig(slower, 'measured')).toBe('not measured');
    expect(fig(r, 'distinct')).toBe(String(r.policy.distinct));
    expect(cutPercent(1, 0)).toBeNull();
  });

  it('plans pretraining plus search epochs and the baseline\'s as many, and shows the after-run panels only once there is a result or the run is done', () => {
    expect(plannedEpochs({ name: 'mobilenet' }, { name: 'instanas', pretrainEpochs: 3, epochs: 4 })).toEqual({ epochs: 14, upperBound: false });
    const detail = (status: RunDetail['status'], instanas: RunDetail['instanas']) => ({ status, instanas }) as RunDetail;
    const shown = (d: RunDetail) => instanasRenderer.runPanels.filter((p) => !p.when || p.when({ detail: d, eigenvalueCount: 0, decisionCount: 0 })).map((p) => p.id);
    expect(shown(detail('running', null))).toEqual(['instanas-live', 'instanas-usage']);
    expect(shown(detail('completed', instanasResultFixture()))).toEqual(['instanas-live', 'instanas-tradeoff', 'instanas-usage', 'instanas-latency', 'instanas-gallery']);
    expect(RunDetailSchema.shape.instanas.parse(instanasResultFixture())).toEqual(instanasResultFixture());
  });
});
