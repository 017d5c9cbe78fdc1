// The comparison table: one row per config field and result, one column per run, raw values (the CSV carries
// them as stored) plus each run's delta to the baseline. Pure: the table component formats what this returns.
import { ACCURACY_MEASURES, type ComparedRun } from '../../../../shared/api';
import { MEASURE_LABELS } from '../runs-table';

export type Cell = string | number | boolean | null;

export interface CompareRow {
  key: string;
  label: string;
  group: 'run' | 'config' | 'result' | 'nb201' | 'retrain' | 'metric';
  values: Cell[];
  /** Every run has the same value. */
  identical: boolean;
  /** Higher is better (accuracy) or lower (loss, cost); undefined when neither. */
  better?: 'higher' | 'lower';
  /** 0..1 fractions shown as percentages. */
  percent?: boolean;
}

type Getter = (r: ComparedRun) => Cell | undefined;
interface RowSpec {
  key: string;
  /** A function where the wording depends on the compared runs (the unit of a cost). */
  label: string | ((runs: readonly ComparedRun[]) => string);
  group: CompareRow['group'];
  get: Getter;
  better?: 'higher' | 'lower';
  percent?: boolean;
}

/** Read a field H4's history work adds (evaluation, groupId, accuracy) without assuming it is there yet. */
const extra = (r: ComparedRun, k: string): unknown => (r.detail as unknown as Record<string, unknown>)[k];
const evaluation = (r: ComparedRun) => (extra(r, 'evaluation') ?? null) as Record<string, number | string | null> | null;

/** What one forward pass reads: an SPD network classifies one matrix, every other space one image. */
function inputUnit(runs: readonly ComparedRun[]): string {
  const spd = runs.filter((r) => r.detail.config.space.name === 'spd').length;
  return spd === runs.length ? 'matrix' : spd === 0 ? 'image' : 'image or matrix';
}

const RESULT_ROWS: RowSpec[] = [
  { key: 'status', label: 'Status', group: 'run', get: (r) => r.detail.status },
  { key: 'kind', label: 'Kind', group: 'run', get: (r) => r.detail.kind },
  { key: 'groupId', label: 'Seed group', group: 'run', get: (r) => (extra(r, 'groupId') as number | null | undefined) ?? null },
  // One row per kind of accuracy: a supernet's search-time accuracy, a table score and a retrain's test
  // accuracy never share a row, so no delta is ever taken between them.
  ...ACCURACY_MEASURES.map(
    (m): RowSpec => ({
      key: `accuracy.${m}`,
      label: `Accuracy: ${MEASURE_LABELS[m].title}`,
      group: 'result',
      get: (r) => (r.detail.accuracyMeasure === m ? r.detail.accuracy : null),
      better: 'higher',
      percent: true,
    }),
  ),
  { key: 'activeSeconds', label: 'Training time (s)', group: 'result', get: (r) => Math.round(r.detail.activeMs / 100) / 10, better: 'lower' },
  { key: 'arch', label: 'Architecture', group: 'result', get: (r) => r.detail.arch },
  { key: 'summary.evaluations', label: 'Architectures evaluated', group: 'result', get: (r) => r.detail.summary?.evaluations },
  { key: 'summary.distinctArchitectures', label: 'Distinct architectures', group: 'result', get: (r) => r.detail.summary?.distinctArchitectures },
  { key: 'nb201.cifar10', label: 'NB201 CIFAR-10 accuracy (%)', group: 'nb201', get: (r) => r.detail.nb201?.cifar10, better: 'higher' },
  { key: 'nb201.cifar100', label: 'NB201 CIFAR-100 accuracy (%)', group: 'nb201', get: (r) => r.detail.nb201?.cifar100, better: 'higher' },
  { key: 'nb201.imagenet16', label: 'NB201 ImageNet16-120 accuracy (%)', group: 'nb201', get: (r) => r.detail.nb201?.imagenet16, better: 'higher' },
  { key: 'nb201.rank', label: 'NB201 rank (of 15,625)', group: 'nb201', get: (r) => r.detail.nb201?.rank, better: 'lower' },
  { key: 'nb201.percentile', label: 'NB201 percentile', group: 'nb201', get: (r) => r.detail.nb201?.percentile, better: 'higher' },
  { key: 'evaluation.testAccuracy', label: 'Retrain test accuracy', group: 'retrain', get: (r) => evaluation(r)?.testAccuracy as number, better: 'higher', percent: true },
  { key: 'evaluation.params', label: 'Parameters', group: 'retrain', get: (r) => evaluation(r)?.params as number, better: 'lower' },
  { key: 'evaluation.flops', label: (runs) => `FLOPs (MACs per ${inputUnit(runs)})`, group: 'retrain', get: (r) => evaluation(r)?.flops as number, better: 'lower' },
  { key: 'evaluation.latencyMs', label: 'Latency (ms)', group: 'retrain', get: (r) => evaluation(r)?.latencyMs as number, better: 'lower' },
];

/** config → flat `config.space.channels` paths; arrays stay one value (joined). */
function flatten(prefix: string, value: unknown, out: Map<string, Cell>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(`${prefix}.${k}`, v, out);
  } else {
    out.set(prefix, Array.isArray(value) ? value.join(' ') : (value as Cell));
  }
}

const isAccuracyName = (name: string) => /acc/i.test(name);

export function compareRows(runs: readonly ComparedRun[]): CompareRow[] {
  const rows: CompareRow[] = [];
  const push = (spec: Omit<RowSpec, 'get'>, values: Cell[]) => {
    if (values.every((v) => v === null)) return; // e.g. NB201 columns for DARTS-space runs
    const label = typeof spec.label === 'function' ? spec.label(runs) : spec.label;
    rows.push({ key: spec.key, label, group: spec.group, better: spec.better, percent: spec.percent, values, identical: values.every((v) => v === values[0]) });
  };
  for (const spec of RESULT_ROWS) push(spec, runs.map((r) => spec.get(r) ?? null));
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.last)))].sort();
  for (const name of names) {
    const better = isAccuracyName(name) ? 'higher' : /loss/i.test(name) ? 'lower' : undefined;
    push({ key: `metric.${name}`, label: `Last ${name}`, group: 'metric', better }, runs.map((r) => r.last[name]?.[2] ?? null));
  }
  const flats = runs.map((r) => {
    const m = new Map<string, Cell>();
    flatten('config', r.detail.config, m);
    return m;
  });
  const keys = [...new Set(flats.flatMap((m) => [...m.keys()]))];
  for (const key of keys) push({ key, label: key.slice('config.'.length), group: 'config' }, flats.map((m) => m.get(key) ?? null));
  return rows;
}

/** value − baseline for numeric rows; null where either is not a number. */
export function deltaOf(row: CompareRow, run: number, baseline: number): number | null {
  const v = row.values[run];
  const b = row.values[baseline];
  return typeof v === 'number' && typeof b === 'number' ? v - b : null;
}

/** Whether a delta is an improvement by the row's own direction; null when the row has none. */
export function isImprovement(row: CompareRow, delta: number): boolean | null {
  if (!row.better || delta === 0) return null;
  return row.better === 'higher' ? delta > 0 : delta < 0;
}

/** Index of the next (dir 1) or previous (-1) differing row after `from` among `rows`, wrapping; -1 if none. */
export function nextDifference(rows: readonly CompareRow[], from: number, dir: 1 | -1): number {
  const n = rows.length;
  for (let k = 1; k <= n; k++) {
    const i = (((from + dir * k) % n) + n) % n;
    if (!rows[i].identical) return i;
  }
  return -1;
}

function csvField(v: Cell): string {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV: a header of `field` and one column per run (`#id name`), raw stored values. */
export function rowsToCsv(runs: readonly ComparedRun[], rows: readonly CompareRow[]): string {
  const header = ['field', ...runs.map((r) => `#${r.detail.id} ${r.detail.name}`)];
  return [header, ...rows.map((row) => [row.key, ...row.values])].map((cells) => cells.map((c) => csvField(c as Cell)).join(',')).join('\r\n') + '\r\n';
}

/**
 * The metric the curves show: the chosen one where any run has it, else the one most runs have (ties by
 * name), so a metric only one run records is not the default.
 */
export function metricToShow(runs: readonly ComparedRun[], wanted: string): string {
  const counts = new Map<string, number>();
  for (const r of runs) for (const name of Object.keys(r.last)) counts.set(name, (counts.get(name) ?? 0) + 1);
  if (counts.has(wanted) || counts.size === 0) return wanted;
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
}
