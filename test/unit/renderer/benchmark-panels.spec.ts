import { describe, expect, it } from 'vitest';
import { EPOCH_BENCHMARK_METRICS, TRAJECTORY_METRICS } from '../../../src/shared/benchmark-metrics';
import { RunDetailSchema } from '../../../src/shared/api';
import { benchmarkCurve, benchmarkRows, isomorphText, runSummary, signalLabel, trajectory } from '../../../src/renderer/src/components/run/benchmark-view';
import { edgeOverEpochs, probabilityEntries } from '../../../src/renderer/src/components/run/probability-series';
import type { Nb201Score } from '../../../src/shared/events';

// The rules behind the NAS-Bench-201 panels. Scores use the table's documented known values
// (shared/data/README.md); the e2e dry-run test checks the panel against a real run's detail.

const BEST_C100_ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|';
/** The best CIFAR-100 cell (index 9930, 73.5133 %) as the server reports it; its CIFAR-10 rank is not 1. */
const bestC100: Nb201Score = {
  arch: BEST_C100_ARCH,
  index: 9930,
  cifar10: 94.0,
  cifar100: 73.5133,
  imagenet16: 46.5,
  rank: 20,
  percentile: 99.88,
  gapToOptimum: 0.3733,
  canonical: BEST_C100_ARCH,
  isomorphs: 1,
  byMetric: {
    cifar100: { rank: 1, percentile: 100, gapToOptimum: 0, best: 73.5133 },
    imagenet16: { rank: 4, percentile: 99.98, gapToOptimum: 0.81, best: 47.31 },
  },
};

describe('benchmark panel rows', () => {
  it("shows each dataset's own rank: the best CIFAR-100 cell is rank 1 there with no gap, not CIFAR-10's rank", () => {
    const rows = benchmarkRows(bestC100);
    expect(rows.map((r) => r.label)).toEqual(['CIFAR-10', 'CIFAR-100', 'ImageNet16-120']);
    expect(rows[0]).toMatchObject({ rank: 20, percentile: 99.88, gap: 0.3733, accuracy: 94.0 });
    expect(rows[1]).toMatchObject({ rank: 1, percentile: 100, gap: 0, accuracy: 73.5133 });
    expect(rows[2]).toMatchObject({ rank: 4, gap: 0.81, accuracy: 46.5 });
    expect(rows.every((r) => r.valid === null)).toBe(true);
  });

  it('leaves the other datasets\' rank columns empty for a score without them, and shows validation accuracy where present', () => {
    const { byMetric: _b, ...old } = bestC100;
    const rows = benchmarkRows({ ...old, valid: { cifar10: 91.5, cifar100: null, imagenet16: 46.1 } });
    expect(rows[0].rank).toBe(20);
    expect(rows[1]).toMatchObject({ rank: null, percentile: null, gap: null, accuracy: 73.5133, valid: null });
    expect(rows.map((r) => r.valid)).toEqual([91.5, null, 46.1]);
  });

  it('says how many spellings share the computation, in words', () => {
    expect(isomorphText(12)).toBe('12 spellings of this computation');
    expect(isomorphText(1)).toBe('the only spelling of this computation');
    expect(isomorphText(undefined)).toBeNull();
  });
});

describe('run summary', () => {
  const detail = (summary: unknown) => ({ summary }) as unknown as Parameters<typeof runSummary>[0];
  it('reads a dry run summary and keeps its notes', () => {
    const s = { evaluations: 100, distinctArchitectures: 97, signal: 'cifar10_test', notes: ['only test accuracies'] };
    expect(runSummary(detail(s))).toEqual(s);
  });
  it('reads a missing or malformed summary as none instead of breaking the panel', () => {
    expect(runSummary(detail(undefined))).toBeNull();
    expect(runSummary(detail(null))).toBeNull();
    expect(runSummary(detail({ evaluations: 'many' }))).toBeNull();
    expect(runSummary(detail({ evaluations: 3, signal: 'x', notes: [1, 'kept'] }))).toEqual({ evaluations: 3, distinctArchitectures: null, signal: 'x', notes: ['kept'] });
    expect(runSummary(null)).toBeNull();
  });
  it('is the field the run detail contract carries', () => {
    expect(Object.keys(RunDetailSchema.shape)).toContain('summary');
  });
  it('names table signals in words', () => {
    expect(signalLabel('cifar10_valid')).toBe('CIFAR-10 validation accuracy (table)');
    expect(signalLabel('imagenet16_test')).toBe('ImageNet16-120 test accuracy (table)');
    expect(signalLabel('supernet val_acc')).toBe('supernet val_acc');
  });
});

describe('benchmark curve and trajectory series', () => {
  it('draws table accuracies and rank against 1-based epochs, leaving out datasets never reported', () => {
    const series = {
      [EPOCH_BENCHMARK_METRICS.cifar10]: [[10, 0, 85.1], [20, 1, 88.3]] as [number, number, number][],
      [EPOCH_BENCHMARK_METRICS.rank]: [[10, 0, 9000], [20, 1, 1200]] as [number, number, number][],
    };
    const c = benchmarkCurve(series);
    expect(c.accuracy).toEqual([{ name: 'CIFAR-10', points: [[1, 85.1], [2, 88.3]] }]);
    expect(c.rank).toEqual([[1, 9000], [2, 1200]]);
  });

  it('plots the trajectory against architectures evaluated, in % whatever the signal unit', () => {
    const series = {
      [TRAJECTORY_METRICS.candidate]: [[1, 0, 0.41], [2, 0, 0.38]] as [number, number, number][],
      [TRAJECTORY_METRICS.best]: [[1, 0, 0.41], [2, 0, 0.41]] as [number, number, number][],
      [TRAJECTORY_METRICS.bestCifar10]: [[1, 0, 91.2], [2, 0, 91.2]] as [number, number, number][],
    };
    const ws = trajectory(series, true);
    expect(ws.candidates).toEqual([[1, 41], [2, 38]]);
    expect(ws.bestCifar10).toEqual([[1, 91.2], [2, 91.2]]);
    expect(trajectory(series, false).candidates).toEqual([[1, 0.41], [2, 0.38]]);
  });
});

describe('MdeNAS probabilities', () => {
  const ops = ['none', 'skip_connect', 'nor_conv_3x3'];
  const snap = (epoch: number, row: number[]) => ({ epoch, payload: { ops, cells: { cell: [row, [1 / 3, 1 / 3, 1 / 3]] } } });

  it('keeps one valid snapshot per epoch in epoch order (a resumed epoch replaces its first copy)', () => {
    const entries = probabilityEntries([snap(1, [0.2, 0.3, 0.5]), snap(0, [0.3, 0.3, 0.4]), snap(1, [0.1, 0.3, 0.6]), { epoch: 2, payload: { bogus: true } }]);
    expect(entries.map((e) => e.epoch)).toEqual([0, 1]);
    expect(entries[1].payload.cells.cell[0]).toEqual([0.1, 0.3, 0.6]);
  });

  it("gives one line per op for an edge, and each epoch's lines sum to 1 as the distribution does", () => {
    const entries = probabilityEntries([snap(0, [0.3, 0.3, 0.4]), snap(1, [0.1, 0.3, 0.6])]);
    const lines = edgeOverEpochs(entries, 'cell', 0);
    expect(lines.map((l) => l.name)).toEqual(ops);
    expect(lines[2].points).toEqual([[1, 0.4], [2, 0.6]]);
    for (const epoch of [1, 2]) {
      const sum = lines.reduce((a, l) => a + l.points.find((p) => p[0] === epoch)![1], 0);
      expect(sum).toBeCloseTo(1, 12);
    }
    expect(edgeOverEpochs(entries, 'reduce', 0).every((l) => l.points.length === 0)).toBe(true);
  });
});
