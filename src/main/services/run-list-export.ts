import type { RunSummary } from '../../shared/api';

// The runs list as a file: the same rows the list shows (as filtered and sorted), one line per run. Numbers
// are written as stored (accuracies 0..1, the NAS-Bench-201 accuracy in the table's %), so a spreadsheet
// or a script reads exact values, and the measure of each accuracy is named beside it.

const COLUMNS: { header: string; value: (r: RunSummary) => string | number | null }[] = [
  { header: 'id', value: (r) => r.id },
  { header: 'name', value: (r) => r.name },
  { header: 'kind', value: (r) => r.kind },
  { header: 'status', value: (r) => r.status },
  { header: 'strategy', value: (r) => r.strategy },
  { header: 'strategy_order', value: (r) => r.strategyOrder },
  { header: 'space', value: (r) => r.space },
  { header: 'dataset', value: (r) => r.datasetName },
  { header: 'seed', value: (r) => r.seed },
  { header: 'epochs', value: (r) => r.epochs },
  { header: 'backend', value: (r) => r.backend },
  { header: 'where', value: (r) => r.where },
  { header: 'ran_on', value: (r) => r.ranOn },
  { header: 'accuracy', value: (r) => r.accuracy },
  { header: 'accuracy_measure', value: (r) => r.accuracyMeasure },
  { header: 'nb201_cifar10_percent', value: (r) => r.nb201Accuracy },
  { header: 'nb201_rank', value: (r) => r.nb201Rank },
  { header: 'test_accuracy', value: (r) => r.testAccuracy },
  { header: 'tags', value: (r) => r.tags.join(';') },
  { header: 'note', value: (r) => r.note },
  { header: 'parent_id', value: (r) => r.parentId },
  { header: 'group_id', value: (r) => r.groupId },
  { header: 'created_at', value: (r) => new Date(r.createdAt).toISOString() },
  { header: 'active_ms', value: (r) => r.activeMs },
];

export const RUN_LIST_CSV_HEADERS = COLUMNS.map((c) => c.header);

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled; null is an empty field. */
function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function runListCsv(runs: readonly RunSummary[]): string {
  const lines = [RUN_LIST_CSV_HEADERS.join(',')];
  for (const r of runs) lines.push(COLUMNS.map((c) => csvField(c.value(r))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function runListJson(runs: readonly RunSummary[]): string {
  return `${JSON.stringify(runs, null, 1)}\n`;
}
