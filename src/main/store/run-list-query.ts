import type Database from 'better-sqlite3';
import type { RunFacets, RunFilter, RunListQuery, RunSortKey, RunSummary } from '../../shared/api';
import type { SqliteDatabase } from './open-database';
import { ACCURACY_MEASURE_SQL, SUMMARY_COLUMNS, tupleToSummary, type SummaryTuple } from './run-rows';

// The runs list's reads: filter, search, sort and page in SQL, so a history of 10,000 runs is answered a page
// at a time in milliseconds. Only whitelisted SQL varies between statements (the sort expression, which
// filters are present, how many search terms); every value is a bound parameter.

// Status sorts in lifecycle order rather than alphabetically; a run never started has no duration.
const SORT_EXPRESSIONS: Record<RunSortKey, string> = {
  id: 'id',
  createdAt: 'created_at',
  status: `CASE status WHEN 'queued' THEN 0 WHEN 'running' THEN 1 WHEN 'paused' THEN 2 WHEN 'completed' THEN 3
    WHEN 'failed' THEN 4 ELSE 5 END`,
  name: 'name COLLATE NOCASE',
  strategy: 'strategy COLLATE NOCASE',
  space: 'space COLLATE NOCASE',
  dataset: 'dataset_name COLLATE NOCASE',
  seed: 'seed',
  epochs: 'epochs',
  backend: 'backend COLLATE NOCASE',
  bestAccuracy: 'coalesce(test_accuracy, best_accuracy)',
  nb201Accuracy: 'nb201_cifar10',
  nb201Rank: 'nb201_rank',
  where: 'coalesce(ran_on, where_to) COLLATE NOCASE',
  duration: `CASE WHEN started_at IS NULL THEN NULL ELSE active_ms + coalesce(@now - running_since, 0) END`,
};

// Accuracies of different measures are not comparable, so they never interleave: a test accuracy group, then
// table, then retrain validation, then search-time supernet validation, each sorted by value.
const MEASURE_ORDER = `CASE ${ACCURACY_MEASURE_SQL} WHEN 'test' THEN 0 WHEN 'table' THEN 1 WHEN 'retrain-val' THEN 2 ELSE 3 END`;

// What a search term is looked for in: "#12", name, strategy, space, dataset, status, "seed=3", tags, note.
const HAYSTACK = `('#' || id || ' ' || name || ' ' || strategy || ' ' || space || ' ' || dataset_name || ' ' || status
  || ' seed=' || seed || ' ' || coalesce((SELECT group_concat(tag, ' ') FROM tags WHERE tags.run_id = runs.id), '')
  || ' ' || coalesce((SELECT text FROM notes WHERE notes.run_id = runs.id), ''))`;

const FILTER_SQL: Record<Exclude<keyof RunFilter, 'search'>, string> = {
  status: 'status = @status',
  kind: 'kind = @kind',
  strategy: 'strategy = @strategy',
  space: 'space = @space',
  dataset: 'dataset_name = @dataset',
  tag: 'EXISTS (SELECT 1 FROM tags WHERE tags.run_id = runs.id AND tags.tag = @tag)',
  groupId: 'group_id = @groupId',
};

type Facet = RunFacets['strategies'];

export class RunListReader {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly facetStmts: Record<'total' | 'statuses' | 'kinds' | 'strategies' | 'spaces' | 'datasets' | 'tags', Database.Statement>;

  constructor(private readonly db: SqliteDatabase) {
    const by = (column: string) => db.prepare(`SELECT ${column} AS value, count(*) AS count FROM runs GROUP BY ${column} ORDER BY ${column} COLLATE NOCASE`);
    this.facetStmts = {
      total: db.prepare('SELECT count(*) FROM runs').pluck(),
      statuses: by('status'),
      kinds: by('kind'),
      strategies: by('strategy'),
      spaces: by('space'),
      datasets: by('dataset_name'),
      tags: db.prepare('SELECT tag AS value, count(*) AS count FROM tags GROUP BY tag ORDER BY tag COLLATE NOCASE'),
    };
  }

  /**
   * The runs matching every filter and every search term, sorted by `sort` (default createdAt) in `direction`
   * (default desc; nulls last, ties by id), from `offset`, at most `limit` rows (all when absent).
   */
  list(query: RunListQuery, now: number): RunSummary[] {
    const sort = query.sort ?? 'createdAt';
    const dir = query.direction === 'asc' ? 'ASC' : 'DESC';
    const { where, params } = whereOf(query);
    const order = `${sort === 'bestAccuracy' ? `${MEASURE_ORDER}, ` : ''}${SORT_EXPRESSIONS[sort]} ${dir} NULLS LAST, id ${dir}`;
    const paged = query.limit !== undefined || query.offset !== undefined;
    const stmt = this.statement(`list:${where}:${order}:${paged}`, () =>
      // Arrays instead of row objects: better-sqlite3 builds them about twice as fast.
      this.db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE ${where} ORDER BY ${order}${paged ? ' LIMIT @limit OFFSET @offset' : ''}`).raw(),
    );
    if (sort === 'duration') params.now = now;
    if (paged) {
      params.limit = query.limit ?? -1;
      params.offset = query.offset ?? 0;
    }
    return (stmt.all(params) as SummaryTuple[]).map(tupleToSummary);
  }

  /** How many runs match the filter. */
  count(filter: RunFilter): number {
    const { where, params } = whereOf(filter);
    return this.statement(`count:${where}`, () => this.db.prepare(`SELECT count(*) FROM runs WHERE ${where}`).pluck()).get(params) as number;
  }

  /** Counts over the whole history per status, kind, strategy, space, dataset and tag, and what the filter matches. */
  facets(filter: RunFilter): RunFacets {
    const f = (k: Exclude<keyof typeof this.facetStmts, 'total'>) => this.facetStmts[k].all() as Facet;
    return {
      total: this.facetStmts.total.get() as number,
      matching: this.count(filter),
      statuses: f('statuses'),
      kinds: f('kinds'),
      strategies: f('strategies'),
      spaces: f('spaces'),
      datasets: f('datasets'),
      tags: f('tags'),
    };
  }

  private statement(key: string, make: () => Database.Statement): Database.Statement {
    let stmt = this.statements.get(key);
    if (!stmt) {
      stmt = make();
      this.statements.set(key, stmt);
    }
    return stmt;
  }
}

function whereOf(filter: RunFilter): { where: string; params: Record<string, unknown> } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  for (const key of Object.keys(FILTER_SQL) as (keyof typeof FILTER_SQL)[]) {
    const value = filter[key];
    if (value === undefined || value === '') continue;
    clauses.push(FILTER_SQL[key]);
    params[key] = value;
  }
  // Every term must appear somewhere in the run's text.
  const terms = (filter.search ?? '').trim().split(/\s+/).filter(Boolean).slice(0, 10);
  terms.forEach((term, i) => {
    clauses.push(`${HAYSTACK} LIKE @term${i} ESCAPE '\\'`);
    params[`term${i}`] = `%${escapeLike(term)}%`;
  });
  return { where: clauses.length ? clauses.join(' AND ') : '1', params };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
