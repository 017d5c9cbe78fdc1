import type { ArgsOf, ResultOf, RunSummary } from '../../shared/api';
import type { SearchConfig } from '../../shared/config';
import { NotFoundError } from '../app-errors';
import type { RunManager } from '../runs/run-manager';
import type { Store } from '../store/store';
import { runListCsv, runListJson } from './run-list-export';

// The history's own channels (issue 9): seed groups, tags and notes, and the list exported as a file.
export class RunHistoryService {
  constructor(
    private readonly store: Store,
    private readonly runs: RunManager,
  ) {}

  /** One run per seed, in the order given, all with a new group id; names say the seed. */
  createGroup(config: SearchConfig, seeds: readonly number[], where?: string): ResultOf<'runs.createGroup'> {
    const groupId = this.store.runs.nextGroupId();
    const base = config.name?.trim();
    const ids = seeds.map((seed) =>
      this.runs.create({ ...config, seed, name: base ? `${base} · seed ${seed}` : undefined }, { groupId, where }),
    );
    return { groupId, ids };
  }

  setTags(id: number, tags: readonly string[]): RunSummary {
    this.requireRun(id);
    this.store.annotations.setTags(id, tags);
    return this.store.runs.summary(id)!;
  }

  setNote(id: number, note: string): RunSummary {
    this.requireRun(id);
    this.store.annotations.setNote(id, note);
    return this.store.runs.summary(id)!;
  }

  /** Every run the query matches (not one page), sorted as the list is. */
  exportList(args: ArgsOf<'runs.exportList'>): ResultOf<'runs.exportList'> {
    const { format, ...query } = args;
    const rows = this.store.runs.list(query);
    const stamp = new Date().toISOString().slice(0, 10);
    return format === 'csv'
      ? { filename: `nas-studio-runs-${stamp}.csv`, mimeType: 'text/csv', content: runListCsv(rows), rows: rows.length }
      : { filename: `nas-studio-runs-${stamp}.json`, mimeType: 'application/json', content: runListJson(rows), rows: rows.length };
  }

  private requireRun(id: number): void {
    if (!this.store.runs.summary(id)) throw new NotFoundError(`There is no run ${id}.`, 'Pick a run from the runs list; it may have been deleted.');
  }
}
