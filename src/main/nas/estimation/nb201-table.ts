// NAS-Bench-201 / NATS-Bench (topology) results table: score a searched cell by lookup (ALGORITHMS.md §8).
// Display only: nothing here may feed test accuracy back into a search.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { NB201_SPACE_SIZE, formatNb201Arch, nb201OpsToCode, parseNb201Arch, type Nb201Op } from '../../../shared/spaces/nb201';
import type { Nb201Score } from '../../../shared/events';
import { DatasetFileError } from '../data/errors';
import { describeResourceSearch, findResource } from '../data/resources';
import { canonicalNb201Arch, canonicalNb201Key, countDistinctNb201 } from '../../../shared/nb201-canonical';

export type Nb201Metric = 'cifar10' | 'cifar100' | 'imagenet16';
export const NB201_METRICS: readonly Nb201Metric[] = ['cifar10', 'cifar100', 'imagenet16'];

import { parseNb201Csv, type Nb201Entry, type Nb201ValidationColumn } from './nb201-csv';

export { NB201_COLUMNS, NB201_OPTIONAL_COLUMNS, type Nb201Entry, type Nb201ValidationColumn } from './nb201-csv';

export interface Nb201Lookup extends Nb201Entry, Nb201Score {
  /** 1 = best CIFAR-10 test accuracy of the space; ties share a rank. */
  rank: number;
  /** Share of the space (in %) that scores at most this cell's CIFAR-10 test accuracy: 100 for the best. */
  percentile: number;
  /** Best CIFAR-10 test accuracy of the space minus this cell's, in percentage points (≥ 0). */
  gapToOptimum: number;
  /** Rank, percentile and gap for each of the three datasets. */
  byMetric: Record<Nb201Metric, { rank: number; percentile: number; gapToOptimum: number; best: number }>;
  /** The spelling shared by every arch string of the same computation (nb201-canonical.ts). */
  canonical: string;
  /** How many rows of the table are the same computation as this cell (1 = only this one). */
  isomorphs: number;
  /** Validation accuracies, present when the table has any validation column (null for a missing one). */
  valid?: Record<Nb201Metric, number | null>;
}

/** The accuracy a dry run's decisions use: validation where the table has it, else test (with a warning). */
export interface Nb201Signal {
  column: 'cifar10_valid' | 'cifar10_test';
  /** Said to the user with the result; null when the signal is a validation accuracy. */
  note: string | null;
}

const COLUMN_OF: Record<Nb201Metric, string> = { cifar10: 'cifar10_test', cifar100: 'cifar100_test', imagenet16: 'imagenet16_test' };
const VALID_FIELD = { cifar10: 'cifar10Valid', cifar100: 'cifar100Valid', imagenet16: 'imagenet16Valid' } as const;
const VALID_COLUMN = { cifar10: 'cifar10_valid', cifar100: 'cifar100_valid', imagenet16: 'imagenet16_valid' } as const;

const TEST_ONLY_NOTE =
  'This NAS-Bench-201 table has only test accuracies, so the dry run decided on CIFAR-10 test accuracy, which a real ' +
  'search never sees: its result is optimistic. Import a table with a cifar10_valid column (Datasets page) for an honest dry run.';

export class Nb201Table {
  /** Where the table came from (a path, or a name for in-memory text). */
  readonly source: string;
  private readonly entriesByIndex: Nb201Entry[];
  /** Entry by op code (nb201OpsToCode), for O(1) lookup of any spelling of an arch. */
  private readonly byCode: (Nb201Entry | undefined)[];
  /** Each metric's values sorted descending, for ranks. */
  private readonly sorted: Record<Nb201Metric, Float64Array>;
  /** The optional validation columns this table has, in NB201_OPTIONAL_COLUMNS order. */
  readonly validationColumns: readonly Nb201ValidationColumn[];
  /** Canonical key → number of rows with it; built on the first lookup. */
  private isomorphCounts: Map<string, number> | null = null;

  private constructor(source: string, entries: Nb201Entry[], validationColumns: readonly Nb201ValidationColumn[]) {
    this.source = source;
    this.validationColumns = validationColumns;
    this.entriesByIndex = [...entries].sort((a, b) => a.index - b.index);
    this.byCode = new Array(NB201_SPACE_SIZE);
    for (const e of this.entriesByIndex) this.byCode[nb201OpsToCode(e.ops)] = e;
    const sorted = {} as Record<Nb201Metric, Float64Array>;
    for (const m of NB201_METRICS) {
      sorted[m] = Float64Array.from(this.entriesByIndex, (e) => e[m]).sort().reverse();
    }
    this.sorted = sorted;
  }

  private contentHash: string | null = null;

  /** SHA-256 of what the table says (arch and accuracies of every row): two tables agree iff it matches. */
  get fingerprint(): string {
    if (this.contentHash === null) {
      const h = createHash('sha256');
      for (const e of this.entriesByIndex) {
        h.update(`${e.index},${e.arch},${e.cifar10},${e.cifar100},${e.imagenet16},${e.cifar10Valid ?? ''},${e.cifar100Valid ?? ''},${e.imagenet16Valid ?? ''}\n`);
      }
      this.contentHash = h.digest('hex');
    }
    return this.contentHash;
  }

  /** Parses CSV text. `source` names the file in error messages. */
  static parse(text: string, source = 'NAS-Bench-201 table'): Nb201Table {
    const { entries, validationColumns } = parseNb201Csv(text, source);
    return new Nb201Table(source, entries, validationColumns);
  }

  /** Reads and parses a CSV file. */
  static load(path: string): Nb201Table {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DatasetFileError(
        path,
        code === 'ENOENT' ? 'file not found' : `cannot be read (${(e as Error).message})`,
        'Check the path, or import the table again.',
      );
    }
    return Nb201Table.parse(text, path);
  }

  private static defaultTable: Nb201Table | null = null;

  /** The table shipped in resources/nb201.csv, parsed once per process. */
  static loadDefault(): Nb201Table {
    Nb201Table.defaultTable ??= Nb201Table.load(defaultNb201TablePath());
    return Nb201Table.defaultTable;
  }

  /** The selected user table and the file version it was parsed from; null = the built-in table. */
  private static selected: { path: string; version: string; table: Nb201Table } | null = null;

  /**
   * Makes `path` (a user's imported table) the one current() answers; null = the built-in table. Parses the
   * file now, so a bad file fails here with its DatasetFileError; the same unchanged file is parsed once.
   */
  static select(path: string | null): void {
    if (path === null) {
      Nb201Table.selected = null;
      return;
    }
    let version = '';
    try {
      const st = statSync(path);
      version = `${st.ino}:${st.size}:${st.mtimeMs}`; // a re-import renames a new file over the old one
    } catch {
      // load() below names the problem.
    }
    const prev = Nb201Table.selected;
    if (prev && prev.path === path && prev.version === version) return;
    Nb201Table.selected = { path, version, table: Nb201Table.load(path) };
  }

  /** The table scores come from: the selected import, else the built-in one. */
  static current(): Nb201Table {
    return Nb201Table.selected?.table ?? Nb201Table.loadDefault();
  }

  /** Whether the table has CIFAR-10 validation accuracies (the honest signal for a dry run). */
  get hasValidation(): boolean {
    return this.validationColumns.includes('cifar10_valid');
  }

  /** The accuracy a dry run decides on, with the note to show when it is a test accuracy. */
  signalMetric(): Nb201Signal {
    return this.hasValidation ? { column: 'cifar10_valid', note: null } : { column: 'cifar10_test', note: TEST_ONLY_NOTE };
  }

  /** A row's value of signalMetric(): CIFAR-10 validation accuracy where the table has it, else test (%). */
  signalOf(entry: Nb201Entry): number {
    if (!this.hasValidation) return entry.cifar10;
    // parse() fills cifar10Valid on every row when the column exists.
    return entry.cifar10Valid!;
  }

  /** How many distinct computations (canonical forms) the cells make up. */
  distinctArchitectures(archs: Iterable<string | readonly string[]>): number {
    return countDistinctNb201(archs);
  }

  /** Rows of this table that are the same computation as `e` (itself included). */
  private isomorphsOf(e: Nb201Entry): number {
    if (!this.isomorphCounts) {
      const counts = new Map<string, number>();
      for (const x of this.entriesByIndex) {
        const k = canonicalNb201Key(x.ops);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      this.isomorphCounts = counts;
    }
    return this.isomorphCounts.get(canonicalNb201Key(e.ops)) ?? 1;
  }

  /** Number of cells (15,625). */
  get size(): number {
    return this.entriesByIndex.length;
  }

  /** All cells in index order. */
  entries(): readonly Nb201Entry[] {
    return this.entriesByIndex;
  }

  /** The cell with the official index. */
  get(index: number): Nb201Entry {
    const e = this.entriesByIndex[index];
    if (!e || e.index !== index) throw new Error(`No NAS-Bench-201 cell has index ${index}; indices run 0..${this.size - 1}.`);
    return e;
  }

  /** Whether `arch` (string or op vector) is a valid cell present in the table. */
  has(arch: string | readonly string[]): boolean {
    try {
      this.entryOf(arch);
      return true;
    } catch {
      return false;
    }
  }

  private entryOf(arch: string | readonly string[]): Nb201Entry {
    let ops: Nb201Op[];
    try {
      ops = typeof arch === 'string' ? parseNb201Arch(arch) : parseNb201Arch(formatNb201Arch(arch));
    } catch (e) {
      const shown = typeof arch === 'string' ? `'${arch}'` : `[${arch.join(', ')}]`;
      throw new Error(
        `Cannot score ${shown} with NAS-Bench-201: ${(e as Error).message} ` +
          `A NAS-Bench-201 cell has 6 edges, each one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3.`,
      );
    }
    const e = this.byCode[nb201OpsToCode(ops)];
    if (!e) throw new Error(`The arch ${formatNb201Arch(ops)} is not in the NAS-Bench-201 table ${this.source}.`);
    return e;
  }

  /** Rank (1 = best; ties share the best rank) of a value among the space's values of `metric`. */
  rankOf(metric: Nb201Metric, value: number): number {
    const s = this.sorted[metric];
    // Count the entries strictly greater than value (s is descending).
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] > value) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }

  private score(e: Nb201Entry): Nb201Lookup {
    const byMetric = {} as Nb201Lookup['byMetric'];
    for (const m of NB201_METRICS) {
      const rank = this.rankOf(m, e[m]);
      const best = this.sorted[m][0];
      byMetric[m] = { rank, percentile: (100 * (this.size - rank + 1)) / this.size, gapToOptimum: best - e[m], best };
    }
    const lookup: Nb201Lookup = {
      ...e,
      ops: [...e.ops],
      rank: byMetric.cifar10.rank,
      percentile: byMetric.cifar10.percentile,
      gapToOptimum: byMetric.cifar10.gapToOptimum,
      byMetric,
      canonical: canonicalNb201Arch(e.ops),
      isomorphs: this.isomorphsOf(e),
    };
    if (this.validationColumns.length > 0) {
      const valid = {} as Record<Nb201Metric, number | null>;
      for (const m of NB201_METRICS) valid[m] = this.validationColumns.includes(VALID_COLUMN[m]) ? e[VALID_FIELD[m]]! : null;
      lookup.valid = valid;
    }
    return lookup;
  }

  /** Scores a cell given as an arch string (any valid spelling) or a 6-op vector in edge order. */
  lookup(arch: string | readonly string[]): Nb201Lookup {
    return this.score(this.entryOf(arch));
  }

  /** The best cell by a metric's test accuracy (lowest index among ties). */
  best(metric: Nb201Metric = 'cifar10'): Nb201Lookup {
    if (!NB201_METRICS.includes(metric)) throw new Error(`Unknown NAS-Bench-201 metric '${metric}'; use one of ${NB201_METRICS.join(', ')}.`);
    let best = this.entriesByIndex[0];
    for (const e of this.entriesByIndex) if (e[metric] > best[metric]) best = e;
    return this.score(best);
  }
}

/** Only the fields of the event contract's Nb201ScoreSchema. */
export function toNb201Score(l: Nb201Lookup): Nb201Score {
  return {
    arch: l.arch,
    index: l.index,
    cifar10: l.cifar10,
    cifar100: l.cifar100,
    imagenet16: l.imagenet16,
    rank: l.rank,
    percentile: l.percentile,
    gapToOptimum: l.gapToOptimum,
    canonical: l.canonical,
    isomorphs: l.isomorphs,
    byMetric: l.byMetric,
    ...(l.valid ? { valid: l.valid } : {}),
  };
}

/** Path of the NAS-Bench-201 table shipped with the app (resources/nb201.csv). */
export function defaultNb201TablePath(): string {
  const p = findResource('nb201.csv');
  if (!p) {
    throw new Error(
      `The built-in NAS-Bench-201 table was not found (looked for ${describeResourceSearch('nb201.csv')}). ` +
        'Reinstall the app, or import the table from a CSV file.',
    );
  }
  return p;
}

/** Column name of a metric's test accuracy in the CSV. */
export function nb201Column(metric: Nb201Metric): string {
  return COLUMN_OF[metric];
}
