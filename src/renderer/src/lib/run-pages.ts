import type { RunSummary } from '../../../shared/api';

// The runs list's rows, fetched a page at a time as the table scrolls to them: a history of 10,000 runs is
// never one response. Pages are cached for one query (filter + sort); a new query starts a new cache, and
// answers for an old query are dropped, so a slow page never lands in the wrong list.

export type FetchPage = (offset: number, limit: number) => Promise<RunSummary[]>;

export class RunPages {
  private readonly pages = new Map<number, RunSummary[]>();
  private readonly pending = new Map<number, Promise<void>>();
  private generation = 0;

  constructor(
    private fetchPage: FetchPage,
    readonly pageSize = 100,
    /** Called when a page arrives (the view re-renders). */
    private readonly onChange: () => void = () => {},
  ) {}

  /** A new query: drops every page and any answer still on its way. */
  reset(fetchPage: FetchPage): void {
    this.fetchPage = fetchPage;
    this.generation++;
    this.pages.clear();
    this.pending.clear();
  }

  /** The run at a row, or undefined while its page is loading. */
  at(index: number): RunSummary | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Loads the pages covering rows first..last that are not there yet. */
  async ensure(first: number, last: number): Promise<void> {
    const from = Math.max(0, Math.floor(first / this.pageSize));
    const to = Math.max(from, Math.floor(last / this.pageSize));
    const waits: Promise<void>[] = [];
    for (let p = from; p <= to; p++) {
      if (this.pages.has(p)) continue;
      waits.push(this.pending.get(p) ?? this.load(p));
    }
    await Promise.all(waits);
  }

  /** Fetches the loaded pages again (runs changed status, were added or deleted), keeping rows until the answers come. */
  async refresh(): Promise<void> {
    const loaded = [...this.pages.keys()];
    await Promise.all(loaded.map((p) => this.load(p)));
  }

  /** Replaces a run's row wherever it is loaded (a pushed update, a tag edited here). */
  update(run: RunSummary): boolean {
    for (const rows of this.pages.values()) {
      const i = rows.findIndex((r) => r.id === run.id);
      if (i >= 0) {
        rows[i] = run;
        this.onChange();
        return true;
      }
    }
    return false;
  }

  loadedRows(): RunSummary[] {
    return [...this.pages.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, rows]) => rows);
  }

  private load(page: number): Promise<void> {
    const generation = this.generation;
    const promise = this.fetchPage(page * this.pageSize, this.pageSize)
      .then((rows) => {
        if (generation !== this.generation) return;
        this.pages.set(page, rows);
        this.onChange();
      })
      .finally(() => {
        if (generation === this.generation && this.pending.get(page) === promise) this.pending.delete(page);
      });
    this.pending.set(page, promise);
    return promise;
  }
}
