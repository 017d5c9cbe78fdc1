import type { SqliteDatabase } from '../../store/open-database';
import { decodeCell, encodeCell, type TableRecords } from './format';

// A run's rows, read and written by the schema itself rather than by a fixed column list: the runs row and
// every row of each table with a foreign key to runs (metrics, snapshots, decisions, eigenvalues, artifacts,
// logs, notes, tags, and any table a later migration adds). A bundle from an older schema lacks columns the
// importing history has (they take their defaults); a column the importing history no longer has is dropped.

interface ColumnInfo {
  name: string;
  type: string;
  pk: number;
}

function columnsOf(db: SqliteDatabase, table: string): ColumnInfo[] {
  return db.pragma(`table_info(${quoteName(table)})`) as ColumnInfo[];
}

function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Tables holding rows of one run: each with the column that references runs.id. */
export function runChildTables(db: SqliteDatabase): Map<string, string> {
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'runs' ORDER BY name")
    .pluck()
    .all() as string[];
  const out = new Map<string, string>();
  for (const t of tables) {
    const fks = db.pragma(`foreign_key_list(${quoteName(t)})`) as Array<{ table: string; from: string; to: string | null }>;
    const ref = fks.find((f) => f.table === 'runs' && (f.to === 'id' || f.to === null));
    if (ref) out.set(t, ref.from);
  }
  return out;
}

/** The column that is the rowid (`id INTEGER PRIMARY KEY`): renumbered on import, so left out. */
function rowidAlias(columns: ColumnInfo[]): string | null {
  const pk = columns.filter((c) => c.pk > 0);
  return pk.length === 1 && pk[0]!.type.toUpperCase() === 'INTEGER' ? pk[0]!.name : null;
}

function readTable(db: SqliteDatabase, table: string, where: string, id: number): TableRecords {
  const info = columnsOf(db, table);
  const columns = info.map((c) => c.name);
  // Rows keep their order (a log's lines, a decision's turn): by the rowid column where there is one; a
  // WITHOUT ROWID table (metrics, tags) reads in its key's order.
  const alias = rowidAlias(info);
  const order = alias ? ` ORDER BY ${quoteName(alias)}` : '';
  const rows = (db.prepare(`SELECT * FROM ${quoteName(table)} WHERE ${quoteName(where)} = ?${order}`).raw().all(id) as unknown[][]).map(
    (r) => r.map(encodeCell),
  );
  return { columns, rows };
}

/** The run's row and its child rows, keyed by table name. Call inside a transaction for one consistent read. */
export function readRunRecords(db: SqliteDatabase, runId: number): Record<string, TableRecords> {
  const out: Record<string, TableRecords> = { runs: readTable(db, 'runs', 'id', runId) };
  for (const [table, column] of runChildTables(db)) out[table] = readTable(db, table, column, runId);
  return out;
}

/** Rows as objects of the columns this history has (decoded cells); columns it lacks are dropped. */
export function rowsAsObjects(db: SqliteDatabase, table: string, records: TableRecords): Array<Record<string, unknown>> {
  const known = new Set(columnsOf(db, table).map((c) => c.name));
  return records.rows.map((row, i) => {
    if (row.length !== records.columns.length) throw new Error(`${table} row ${i + 1} has ${row.length} cells for ${records.columns.length} columns`);
    const obj: Record<string, unknown> = {};
    records.columns.forEach((c, j) => {
      if (known.has(c)) obj[c] = decodeCell(row[j]);
    });
    return obj;
  });
}

/** Inserts rows; the rowid column is left for SQLite to number. Returns the last inserted rowid. */
export function insertRows(db: SqliteDatabase, table: string, rows: Array<Record<string, unknown>>, keepRowid = false): number {
  const alias = keepRowid ? null : rowidAlias(columnsOf(db, table));
  let last = 0;
  const statements = new Map<string, ReturnType<SqliteDatabase['prepare']>>();
  for (const row of rows) {
    const names = Object.keys(row).filter((c) => c !== alias);
    const key = names.join(',');
    let stmt = statements.get(key);
    if (!stmt) {
      stmt = db.prepare(`INSERT INTO ${quoteName(table)} (${names.map(quoteName).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
      statements.set(key, stmt);
    }
    last = Number(stmt.run(names.map((n) => row[n])).lastInsertRowid);
  }
  return last;
}

export function hasTable(db: SqliteDatabase, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) !== undefined;
}
