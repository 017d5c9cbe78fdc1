// NAS-Bench-201 / NATS-Bench (topology) results table: score a searched cell by lookup (ALGORITHMS.md §8).
// Display only: nothing here may feed test accuracy back into a search.
import { readFileSync } from 'node:fs';
import { NB201_SPACE_SIZE, formatNb201Arch, nb201OpsToCode, parseNb201Arch, type Nb201Op } from '../../../shared/spaces/nb201';
import type { Nb201Score } from '../../../shared/events';
import { DatasetFileError } from '../data/errors';
import { describeResourceSearch, findResource } from '../data/resources';

export type Nb201Metric = 'cifar10' | 'cifar100' | 'imagenet16';
export const NB201_METRICS: readonly Nb201Metric[] = ['cifar10', 'cifar100', 'imagenet16'];

/** Column names of the table (and of a user's own export). */
export const NB201_COLUMNS = ['index', 'arch', 'cifar10_test', 'cifar100_test', 'imagenet16_test', 'params_mb', 'flops_m'] as const;
/** Optional validation-accuracy columns a user's export may add. */
export const NB201_OPTIONAL_COLUMNS = ['cifar10_valid', 'cifar100_valid', 'imagenet16_valid'] as const;

export interface Nb201Entry {
  /** Official NAS-Bench-201 / NATS-Bench topology index. */
  index: number;
  /** Canonical arch string. */
  arch: string;
  ops: Nb201Op[];
  /** Mean test accuracy (%) after 200 epochs. */
  cifar10: number;
  cifar100: number;
  imagenet16: number;
  /** Parameters (millions) and FLOPs (millions) of the full network. */
  params: number;
  flops: number;
  cifar10Valid?: number;
  cifar100Valid?: number;
  imagenet16Valid?: number;
}

export interface Nb201Lookup extends Nb201Entry, Nb201Score {
  /** 1 = best CIFAR-10 test accuracy of the space; ties share a rank. */
  rank: number;
  /** Share of the space (in %) that scores at most this cell's CIFAR-10 test accuracy: 100 for the best. */
  percentile: number;
  /** Best CIFAR-10 test accuracy of the space minus this cell's, in percentage points (≥ 0). */
  gapToOptimum: number;
  /** Rank, percentile and gap for each of the three datasets. */
  byMetric: Record<Nb201Metric, { rank: number; percentile: number; gapToOptimum: number; best: number }>;
}

const COLUMN_OF: Record<Nb201Metric, string> = { cifar10: 'cifar10_test', cifar100: 'cifar100_test', imagenet16: 'imagenet16_test' };

const FIX_ADVICE =
  `A NAS-Bench-201 table is a CSV with the header ${NB201_COLUMNS.join(',')} and one row for each of the ` +
  `${NB201_SPACE_SIZE.toLocaleString('en-US')} cells; fix the file or export it again`;

/** Splits one CSV line; supports double-quoted fields with "" escapes. */
function splitCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return null; // unterminated quote
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else field += line[i++];
      }
      if (i < line.length && line[i] !== ',') return null;
    } else {
      const j = line.indexOf(',', i);
      field = line.slice(i, j < 0 ? line.length : j);
      i = j < 0 ? line.length : j;
    }
    out.push(field.trim());
    if (i >= line.length) return out;
    i++; // skip the comma
  }
}

export class Nb201Table {
  /** Where the table came from (a path, or a name for in-memory text). */
  readonly source: string;
  private readonly entriesByIndex: Nb201Entry[];
  /** Entry by op code (nb201OpsToCode), for O(1) lookup of any spelling of an arch. */
  private readonly byCode: (Nb201Entry | undefined)[];
  /** Each metric's values sorted descending, for ranks. */
  private readonly sorted: Record<Nb201Metric, Float64Array>;

  private constructor(source: string, entries: Nb201Entry[]) {
    this.source = source;
    this.entriesByIndex = [...entries].sort((a, b) => a.index - b.index);
    this.byCode = new Array(NB201_SPACE_SIZE);
    for (const e of this.entriesByIndex) this.byCode[nb201OpsToCode(e.ops)] = e;
    const sorted = {} as Record<Nb201Metric, Float64Array>;
    for (const m of NB201_METRICS) {
      sorted[m] = Float64Array.from(this.entriesByIndex, (e) => e[m]).sort().reverse();
    }
    this.sorted = sorted;
  }

  /** Parses CSV text. `source` names the file in error messages. */
  static parse(text: string, source = 'NAS-Bench-201 table'): Nb201Table {
    const fail = (problem: string): never => {
      throw new DatasetFileError(source, problem, FIX_ADVICE + '.');
    };
    const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
    if (lines.every((l) => l.trim() === '')) fail('the file is empty');
    const header = splitCsvLine(lines[0]);
    if (!header) return fail('line 1: the header has an unterminated quote');
    const names = header.map((h) => h.toLowerCase());
    const missing = NB201_COLUMNS.filter((c) => !names.includes(c));
    if (missing.length > 0) {
      fail(`line 1: the header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found: ${header.join(',')})`);
    }
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) fail(`line 1: the column ${dup} appears twice in the header`);
    const col = (name: string): number => names.indexOf(name);
    const optional = NB201_OPTIONAL_COLUMNS.filter((c) => names.includes(c));

    const entries: Nb201Entry[] = [];
    const lineOfIndex = new Map<number, number>();
    const lineOfCode = new Map<number, number>();
    for (let li = 1; li < lines.length; li++) {
      const lineNo = li + 1;
      if (lines[li].trim() === '') {
        if (lines.slice(li).every((l) => l.trim() === '')) break; // trailing blank lines
        fail(`line ${lineNo}: empty line inside the table`);
      }
      const fields = splitCsvLine(lines[li]);
      if (!fields) return fail(`line ${lineNo}: unterminated quote`);
      if (fields.length !== header.length) {
        fail(`line ${lineNo}: expected ${header.length} fields like the header, found ${fields.length}`);
      }
      const num = (name: string, lo: number, hi: number): number => {
        const raw = fields[col(name)];
        const v = raw === '' ? NaN : Number(raw);
        if (!Number.isFinite(v)) fail(`line ${lineNo}: ${name} '${raw}' is not a number`);
        if (v < lo || v > hi) fail(`line ${lineNo}: ${name} ${v} is outside ${lo}..${hi}`);
        return v;
      };
      const indexRaw = fields[col('index')];
      const index = Number(indexRaw);
      if (indexRaw === '' || !Number.isInteger(index) || index < 0 || index >= NB201_SPACE_SIZE) {
        fail(`line ${lineNo}: index '${indexRaw}' is not an integer in 0..${NB201_SPACE_SIZE - 1}`);
      }
      if (lineOfIndex.has(index)) fail(`line ${lineNo}: index ${index} already appears on line ${lineOfIndex.get(index)}`);
      lineOfIndex.set(index, lineNo);
      let ops: Nb201Op[] = [];
      try {
        ops = parseNb201Arch(fields[col('arch')]);
      } catch (e) {
        fail(`line ${lineNo}: ${(e as Error).message.replace(/\.$/, '')}`);
      }
      const code = nb201OpsToCode(ops);
      if (lineOfCode.has(code)) fail(`line ${lineNo}: arch ${formatNb201Arch(ops)} already appears on line ${lineOfCode.get(code)}`);
      lineOfCode.set(code, lineNo);
      const entry: Nb201Entry = {
        index,
        arch: formatNb201Arch(ops),
        ops,
        cifar10: num('cifar10_test', 0, 100),
        cifar100: num('cifar100_test', 0, 100),
        imagenet16: num('imagenet16_test', 0, 100),
        params: num('params_mb', 0, Infinity),
        flops: num('flops_m', 0, Infinity),
      };
      if (optional.includes('cifar10_valid')) entry.cifar10Valid = num('cifar10_valid', 0, 100);
      if (optional.includes('cifar100_valid')) entry.cifar100Valid = num('cifar100_valid', 0, 100);
      if (optional.includes('imagenet16_valid')) entry.imagenet16Valid = num('imagenet16_valid', 0, 100);
      entries.push(entry);
    }
    if (entries.length !== NB201_SPACE_SIZE) {
      fail(
        `holds ${entries.length.toLocaleString('en-US')} rows but the NAS-Bench-201 space has ${NB201_SPACE_SIZE.toLocaleString('en-US')} cells, ` +
          `one row each; the table is ${entries.length < NB201_SPACE_SIZE ? 'incomplete' : 'too long'}`,
      );
    }
    return new Nb201Table(source, entries);
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
    return { ...e, ops: [...e.ops], rank: byMetric.cifar10.rank, percentile: byMetric.cifar10.percentile, gapToOptimum: byMetric.cifar10.gapToOptimum, byMetric };
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
