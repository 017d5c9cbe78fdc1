import type Database from 'better-sqlite3';
import type { Dataset, SpdDatasetInfo } from '../../shared/api';
import { classNamesFor } from '../../shared/dataset-classes';
import type { SqliteDatabase } from './open-database';

/** `kind` defaults to images; `spd` is given for SPD sets only. */
export type DatasetInput = Omit<Dataset, 'id' | 'createdAt' | 'classNames' | 'kind'> & { createdAt?: number; kind?: Dataset['kind'] };

interface DatasetRow {
  id: number;
  name: string;
  format: string;
  location: string;
  shape: string;
  classes: number;
  train_count: number;
  test_count: number;
  class_counts: string;
  checksum: string;
  created_at: number;
  kind: Dataset['kind'];
  spd: string | null;
}

/** Imported datasets. Deleting one keeps the runs that used it (their dataset name is stored on the run). */
export class DatasetRepository {
  private readonly insertStmt: Database.Statement;
  private readonly getStmt: Database.Statement;
  private readonly byNameStmt: Database.Statement;
  private readonly byChecksumStmt: Database.Statement;
  private readonly listStmt: Database.Statement;
  private readonly deleteStmt: Database.Statement;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare(`
      INSERT INTO datasets (name, format, location, shape, classes, train_count, test_count, class_counts,
                            checksum, created_at, kind, spd)
      VALUES (@name, @format, @location, @shape, @classes, @trainCount, @testCount, @classCounts, @checksum,
              @createdAt, @kind, @spd)`);
    this.getStmt = db.prepare('SELECT * FROM datasets WHERE id = ?');
    this.byNameStmt = db.prepare('SELECT * FROM datasets WHERE name = ? ORDER BY id DESC LIMIT 1');
    this.byChecksumStmt = db.prepare('SELECT * FROM datasets WHERE checksum = ? ORDER BY id LIMIT 1');
    this.listStmt = db.prepare('SELECT * FROM datasets ORDER BY name COLLATE NOCASE, id');
    this.deleteStmt = db.prepare('DELETE FROM datasets WHERE id = ?');
  }

  add(input: DatasetInput): Dataset {
    const createdAt = input.createdAt ?? Date.now();
    const kind = input.kind ?? 'images';
    const info = this.insertStmt.run({
      ...input,
      shape: JSON.stringify(input.shape),
      classCounts: JSON.stringify(input.classCounts),
      createdAt,
      kind,
      spd: input.spd ? JSON.stringify(input.spd) : null,
    });
    return withClassNames({ ...input, kind, id: Number(info.lastInsertRowid), createdAt });
  }

  get(id: number): Dataset | null {
    const row = this.getStmt.get(id) as DatasetRow | undefined;
    return row ? toDataset(row) : null;
  }

  /** The newest dataset with exactly this name (the CLI accepts a name where the app uses an id). */
  findByName(name: string): Dataset | null {
    const row = this.byNameStmt.get(name) as DatasetRow | undefined;
    return row ? toDataset(row) : null;
  }

  /** The first dataset imported from exactly these files (same checksum), to answer a re-import. */
  findByChecksum(checksum: string): Dataset | null {
    const row = this.byChecksumStmt.get(checksum) as DatasetRow | undefined;
    return row ? toDataset(row) : null;
  }

  list(): Dataset[] {
    return (this.listStmt.all() as DatasetRow[]).map(toDataset);
  }

  delete(id: number): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }
}

/** Class names are known data of some sets (shared/dataset-classes.ts), or an SPD set's class folders. */
function withClassNames(d: Dataset): Dataset {
  const names = d.spd?.classNames ?? classNamesFor(d);
  return names ? { ...d, classNames: names } : d;
}

function toDataset(row: DatasetRow): Dataset {
  return withClassNames({
    id: row.id,
    name: row.name,
    format: row.format,
    location: row.location,
    shape: JSON.parse(row.shape) as number[],
    classes: row.classes,
    trainCount: row.train_count,
    testCount: row.test_count,
    classCounts: JSON.parse(row.class_counts) as number[],
    checksum: row.checksum,
    createdAt: row.created_at,
    kind: row.kind,
    ...(row.spd ? { spd: JSON.parse(row.spd) as SpdDatasetInfo } : {}),
  });
}
