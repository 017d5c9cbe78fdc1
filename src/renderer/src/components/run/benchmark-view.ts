import type { RunDetail } from '../../../../shared/api';
import type { Nb201Score, SearchSummary } from '../../../../shared/events';
import { EPOCH_BENCHMARK_METRICS, TRAJECTORY_METRICS } from '../../../../shared/benchmark-metrics';
import type { XY } from '../../lib/downsample';

// Pure rules behind the NAS-Bench-201 panels (benchmark scores, benchmark curve, trajectory): no Vue, no DOM.

type Point = readonly [step: number, epoch: number, value: number];
type Series = Readonly<Record<string, readonly Point[]>>;

export const NB201_DATASETS = [
  { key: 'cifar10', label: 'CIFAR-10' },
  { key: 'cifar100', label: 'CIFAR-100' },
  { key: 'imagenet16', label: 'ImageNet16-120' },
] as const;
export type Nb201Dataset = (typeof NB201_DATASETS)[number]['key'];

export interface BenchmarkRow {
  key: Nb201Dataset;
  label: string;
  /** Test accuracy in %. */
  accuracy: number;
  /** Validation accuracy in %, where the table has it. */
  valid: number | null;
  /** Rank among the 15,625 cells by this dataset's test accuracy (1 = best); null when not reported. */
  rank: number | null;
  percentile: number | null;
  /** Best accuracy of the space minus this cell's, in percentage points. */
  gap: number | null;
}

/** One row per dataset: CIFAR-10's rank fields are the score's own, the others come from `byMetric`. */
export function benchmarkRows(s: Nb201Score): BenchmarkRow[] {
  return NB201_DATASETS.map(({ key, label }) => {
    const m = key === 'cifar10' ? { rank: s.rank, percentile: s.percentile, gapToOptimum: s.gapToOptimum } : s.byMetric?.[key];
    const valid = s.valid?.[key];
    return {
      key,
      label,
      accuracy: s[key],
      valid: typeof valid === 'number' ? valid : null,
      rank: m?.rank ?? null,
      percentile: m?.percentile ?? null,
      gap: m?.gapToOptimum ?? null,
    };
  });
}

/** "1 spelling" / "12 spellings of this computation"; null when the table did not say. */
export function isomorphText(isomorphs: number | undefined): string | null {
  if (typeof isomorphs !== 'number' || isomorphs < 1) return null;
  return isomorphs === 1 ? 'the only spelling of this computation' : `${isomorphs.toLocaleString('en-US')} spellings of this computation`;
}

/**
 * A dry run's (or sampling search's) summary, read defensively: `RunDetail.summary` is optional in this build
 * and older servers do not send it. Anything malformed reads as no summary rather than a broken panel.
 */
export function runSummary(detail: RunDetail | null | undefined): SearchSummary | null {
  const raw = (detail as { summary?: unknown } | null | undefined)?.summary;
  if (!raw || typeof raw !== 'object') return null;
  const s = raw as Partial<SearchSummary>;
  if (typeof s.evaluations !== 'number' || typeof s.signal !== 'string') return null;
  return {
    evaluations: s.evaluations,
    distinctArchitectures: typeof s.distinctArchitectures === 'number' ? s.distinctArchitectures : null,
    signal: s.signal,
    notes: Array.isArray(s.notes) ? s.notes.filter((n): n is string => typeof n === 'string') : [],
  };
}

export interface NamedSeries {
  name: string;
  points: XY[];
}

/** Per-epoch table accuracies (%) of the cell the search would return, x = epoch (1-based); and its rank. */
export function benchmarkCurve(series: Series): { accuracy: NamedSeries[]; rank: XY[] } {
  const byEpoch = (key: string): XY[] => (series[key] ?? []).map((p) => [p[1] + 1, p[2]] as XY);
  const accuracy = NB201_DATASETS.map(({ key, label }) => ({ name: label, points: byEpoch(EPOCH_BENCHMARK_METRICS[key]) })).filter((s) => s.points.length);
  return { accuracy, rank: byEpoch(EPOCH_BENCHMARK_METRICS.rank) };
}

export function hasBenchmarkCurve(series: Series): boolean {
  return Object.values(EPOCH_BENCHMARK_METRICS).some((k) => (series[k]?.length ?? 0) > 0);
}

export interface Trajectory {
  /** Each evaluated architecture's score by the search's own signal, in %. */
  candidates: XY[];
  /** Best score so far, in %. */
  best: XY[];
  /** CIFAR-10 test accuracy (%) of the best-so-far architecture (NAS-Bench-201 only). */
  bestCifar10: XY[];
}

/**
 * The trajectory against architectures evaluated (x = the metric's step). A dry run's signal is a table
 * accuracy already in %; weight-sharing ranking reports a supernet validation accuracy as a fraction.
 */
export function trajectory(series: Series, signalIsFraction: boolean): Trajectory {
  const scale = signalIsFraction ? 100 : 1;
  const pts = (key: string, k: number): XY[] => (series[key] ?? []).map((p) => [p[0], p[2] * k] as XY);
  return {
    candidates: pts(TRAJECTORY_METRICS.candidate, scale),
    best: pts(TRAJECTORY_METRICS.best, scale),
    bestCifar10: pts(TRAJECTORY_METRICS.bestCifar10, 1),
  };
}

export function hasTrajectory(series: Series): boolean {
  return (series[TRAJECTORY_METRICS.candidate]?.length ?? 0) > 0 || (series[TRAJECTORY_METRICS.best]?.length ?? 0) > 0;
}

/** Words for the signal names the trainer writes ("cifar10_valid" → "CIFAR-10 validation accuracy"). */
export function signalLabel(signal: string): string {
  const m = /^(cifar10|cifar100|imagenet16)[_-](valid|test)$/.exec(signal);
  if (!m) return signal;
  const ds = NB201_DATASETS.find((d) => d.key === m[1])!.label;
  return `${ds} ${m[2] === 'valid' ? 'validation' : 'test'} accuracy (table)`;
}
