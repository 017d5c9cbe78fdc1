// Reads a NAS-Bench-201 table from CSV text (the shipped resources/nb201.csv or a user's export with the same
// columns), checking every row: a bad file is refused with its line and problem, never half read.
import { NB201_SPACE_SIZE, formatNb201Arch, nb201OpsToCode, parseNb201Arch, type Nb201Op } from '../../../shared/spaces/nb201';
import { DatasetFileError } from '../data/errors';

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

export type Nb201ValidationColumn = (typeof NB201_OPTIONAL_COLUMNS)[number];

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

/** Parses CSV text into rows (unsorted) and the validation columns present. `source` names the file in errors. */
export function parseNb201Csv(text: string, source: string): { entries: Nb201Entry[]; validationColumns: Nb201ValidationColumn[] } {
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
  const optional: Nb201ValidationColumn[] = NB201_OPTIONAL_COLUMNS.filter((c) => names.includes(c));

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
  return { entries, validationColumns: optional };
}
