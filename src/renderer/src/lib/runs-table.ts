import type { RunSummary } from '../../../shared/api';
import { RUN_STATUSES, type RunStatus } from '../../../shared/events';
import { SPACE_DESCRIPTORS } from '../../../shared/spaces/registry';
import { strategyLabel } from '../strategies/registry';
import { runDuration } from './format';

// The runs list's columns, search and sort, kept out of the view so they can be tested on plain data.

export type SortKey = 'id' | 'status' | 'name' | 'strategy' | 'space' | 'dataset' | 'bestAccuracy' | 'duration' | 'createdAt';
export type SortDir = 'asc' | 'desc';

/**
 * `narrow`: the column a narrow table leaves out (the run number already orders runs by creation, and the
 * row's tooltip keeps the date), so strategy, space and dataset stay readable at 1024 px.
 */
export const RUN_COLUMNS: { key: SortKey; label: string; align?: 'right'; narrow?: 'hide' }[] = [
  { key: 'id', label: '#', align: 'right' },
  { key: 'status', label: 'Status' },
  { key: 'name', label: 'Name' },
  { key: 'strategy', label: 'Strategy' },
  { key: 'space', label: 'Space' },
  { key: 'dataset', label: 'Dataset' },
  { key: 'bestAccuracy', label: 'Best acc.', align: 'right' },
  { key: 'duration', label: 'Duration', align: 'right' },
  { key: 'createdAt', label: 'Created', narrow: 'hide' },
];

/** "DARTS (2nd order)" where the summary carries the order. */
export function strategyOf(r: RunSummary): string {
  return strategyLabel(r.strategy, r.strategyOrder);
}

export function spaceOf(r: RunSummary): string {
  return (SPACE_DESCRIPTORS as Record<string, { label: string }>)[r.space]?.label ?? r.space;
}

/** Runs whose status matches and whose text (number, name, strategy, space, dataset, status, seed) has every term. */
export function filterRuns(runs: readonly RunSummary[], query: string, status: RunStatus | ''): RunSummary[] {
  const terms = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return runs.filter((r) => {
    if (status && r.status !== status) return false;
    if (!terms.length) return true;
    const hay = `#${r.id} ${r.name} ${r.strategy} ${strategyOf(r)} ${r.space} ${spaceOf(r)} ${r.datasetName} ${r.status} seed=${r.seed}`.toLowerCase();
    return terms.every((t) => hay.includes(t));
  });
}

function sortValue(r: RunSummary, key: SortKey, now: number): string | number | null {
  switch (key) {
    case 'id':
      return r.id;
    case 'status':
      return RUN_STATUSES.indexOf(r.status);
    case 'name':
      return r.name.toLowerCase();
    case 'strategy':
      return strategyOf(r).toLowerCase();
    case 'space':
      return spaceOf(r).toLowerCase();
    case 'dataset':
      return r.datasetName.toLowerCase();
    case 'bestAccuracy':
      return r.bestAccuracy;
    case 'duration':
      return runDuration(r, now);
    case 'createdAt':
      return r.createdAt;
  }
}

/** Sorted copy; runs without a value (no accuracy yet) go last in either direction, ties newest first. */
export function sortRuns(runs: readonly RunSummary[], key: SortKey, dir: SortDir, now: number): RunSummary[] {
  const sign = dir === 'asc' ? 1 : -1;
  const rows = runs.map((r) => ({ r, v: sortValue(r, key, now) }));
  rows.sort((a, b) => {
    if (a.v === null && b.v === null) return b.r.id - a.r.id;
    if (a.v === null) return 1;
    if (b.v === null) return -1;
    if (a.v < b.v) return -sign;
    if (a.v > b.v) return sign;
    return b.r.id - a.r.id;
  });
  return rows.map((x) => x.r);
}

/** The first direction of a column: text A→Z, numbers and dates largest first. */
export function firstDirection(key: SortKey): SortDir {
  return key === 'name' || key === 'strategy' || key === 'space' || key === 'dataset' ? 'asc' : 'desc';
}
