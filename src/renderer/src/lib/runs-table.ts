import type { AccuracyMeasure, RunFilter, RunListQuery, RunSortKey, RunSummary } from '../../../shared/api';
import { RUN_KINDS } from '../../../shared/api';
import { RUN_STATUSES } from '../../../shared/events';
import { SPACE_DESCRIPTORS } from '../../../shared/spaces/registry';
import { strategyLabel } from '../strategies/registry';

// The runs list's columns, labels and the query kept in the URL, out of the view so they can be tested on
// plain data. Filtering, search, sort and paging happen in the database (runs.list); the view asks for pages.

export type SortKey = RunSortKey;
export type SortDir = 'asc' | 'desc';

/** The sortable columns, in table order (the selection box precedes them, tags sit in the name cell). */
export const RUN_COLUMNS: { key: SortKey; label: string; title?: string; align?: 'right' }[] = [
  { key: 'id', label: '#', align: 'right' },
  { key: 'status', label: 'Status' },
  { key: 'name', label: 'Name' },
  { key: 'strategy', label: 'Strategy' },
  { key: 'space', label: 'Space' },
  { key: 'dataset', label: 'Dataset' },
  { key: 'seed', label: 'Seed', align: 'right' },
  { key: 'epochs', label: 'Epochs', align: 'right', title: 'Planned training epochs' },
  { key: 'backend', label: 'Backend' },
  { key: 'where', label: 'Where', title: 'The worker that trained the run, or where it was sent while no worker has taken it (this machine, any worker)' },
  {
    key: 'bestAccuracy',
    label: 'Accuracy',
    align: 'right',
    title: 'Each run’s headline accuracy and what it measures; sorted by measure first, so different measures never mix',
  },
  { key: 'nb201Accuracy', label: 'NB201 acc.', align: 'right', title: 'NAS-Bench-201 CIFAR-10 test accuracy of the found cell (table)' },
  { key: 'nb201Rank', label: 'NB201 rank', align: 'right', title: 'Rank of the found cell among the 15,625 (1 = best)' },
  { key: 'duration', label: 'Duration', align: 'right' },
  { key: 'createdAt', label: 'Created' },
];

/** Short label of what an accuracy measures, shown beside the value; the title says it in full. */
export const MEASURE_LABELS: Record<AccuracyMeasure, { short: string; title: string }> = {
  'search-val': { short: 'search val', title: 'Supernet validation accuracy during the search (not a trained network’s accuracy)' },
  table: { short: 'table', title: 'NAS-Bench-201 table accuracy the dry run used' },
  'retrain-val': { short: 'retrain val', title: 'Validation accuracy of the retrain while it trains' },
  test: { short: 'test', title: 'Test accuracy of the retrained network' },
};

/** "DARTS · 2nd order" where the strategy has a variant (the α gradient order). */
export function strategyOf(r: Pick<RunSummary, 'strategy' | 'strategyOrder'>): string {
  const label = strategyLabel(r.strategy);
  return r.strategyOrder === 1 || r.strategyOrder === 2 ? `${label} · ${r.strategyOrder === 2 ? '2nd' : '1st'} order` : label;
}

export function spaceOf(r: Pick<RunSummary, 'space'>): string {
  return spaceLabel(r.space);
}

export function spaceLabel(space: string): string {
  return (SPACE_DESCRIPTORS as Record<string, { label: string }>)[space]?.label ?? space;
}

/** The first direction of a column: text A→Z, rank best first, other numbers and dates largest first. */
export function firstDirection(key: SortKey): SortDir {
  return key === 'name' || key === 'strategy' || key === 'space' || key === 'dataset' || key === 'backend' || key === 'where' || key === 'nb201Rank' ? 'asc' : 'desc';
}

/** The list's filter as kept in the URL (q, status, kind, strategy, space, dataset, tag, group). */
export function filterFromRoute(query: Record<string, unknown>): RunFilter {
  const text = (k: string) => (typeof query[k] === 'string' && query[k] !== '' ? (query[k] as string) : undefined);
  const oneOf = <T extends string>(k: string, values: readonly T[]) => (values as readonly string[]).includes(text(k) ?? '') ? (text(k) as T) : undefined;
  const group = Number(text('group'));
  const f: RunFilter = {
    search: text('q'),
    status: oneOf('status', RUN_STATUSES),
    kind: oneOf('kind', RUN_KINDS),
    strategy: text('strategy'),
    space: text('space'),
    dataset: text('dataset'),
    tag: text('tag'),
    groupId: Number.isInteger(group) && group > 0 ? group : undefined,
  };
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as RunFilter;
}

export function filterToRoute(f: RunFilter): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.search) q.q = f.search;
  for (const k of ['status', 'kind', 'strategy', 'space', 'dataset', 'tag'] as const) if (f[k]) q[k] = f[k]!;
  if (f.groupId) q.group = String(f.groupId);
  return q;
}

export function isFiltered(f: RunFilter): boolean {
  return Object.values(f).some((v) => v !== undefined && v !== '');
}

/** The runs.list query of one page. */
export function pageQuery(f: RunFilter, sort: SortKey, direction: SortDir, offset: number, limit: number): RunListQuery {
  return { ...f, search: f.search?.trim() || undefined, sort, direction, offset, limit };
}

/** The Compare route for a selection (ids in the order chosen; the first is the baseline unless given). */
export function compareRoute(ids: readonly number[], baseline?: number): string {
  return `/compare?ids=${ids.join(',')}${baseline !== undefined ? `&baseline=${baseline}` : ''}`;
}
