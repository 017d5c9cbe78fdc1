// A numeric .csv table: one row per line, values separated by commas (or semicolons, tabs or spaces, the
// same throughout a file), no header. Every row must have as many values as the first; a ragged or
// non-numeric table is refused naming the row and column, so the person can open the file at that line.
import { DatasetFileError } from './errors';

export interface CsvTable {
  rows: number;
  cols: number;
  /** Row-major values. */
  data: Float64Array;
}

function separatorOf(line: string): RegExp {
  if (line.includes(',')) return /\s*,\s*/;
  if (line.includes(';')) return /\s*;\s*/;
  if (line.includes('\t')) return /\s*\t\s*/;
  return /\s+/;
}

/** Parses a whole .csv file's text. `file` is the path named in errors. */
export function parseCsvTable(text: string, file: string): CsvTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new DatasetFileError(file, 'holds no rows of numbers', 'Write one matrix row (or one feature) per line, values separated by commas.');
  const sep = separatorOf(lines[0]);
  let cols = -1;
  const values: number[] = [];
  for (let r = 0; r < lines.length; r++) {
    const line = lines[r].trim();
    if (line === '') throw new DatasetFileError(file, `row ${r + 1} is empty`, 'Remove the blank line; every line is one row of the matrix.');
    const fields = line.split(sep);
    if (cols < 0) cols = fields.length;
    else if (fields.length !== cols) {
      throw new DatasetFileError(file, `is ragged: row ${r + 1} has ${fields.length} values, row 1 has ${cols}`, 'Every row must have the same number of values.');
    }
    for (let c = 0; c < fields.length; c++) {
      const f = fields[c];
      // Number('') is 0 and Number('0x1f') is 31: only plain decimal numbers count.
      const v = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(f) ? Number(f) : Number.NaN;
      if (!Number.isFinite(v)) {
        const hint = r === 0 ? ' (a header row? remove it)' : '';
        throw new DatasetFileError(file, `row ${r + 1}, column ${c + 1} is not a finite number${hint}`, 'Every value must be a decimal number such as 0.25 or 1e-3.');
      }
      values.push(v);
    }
  }
  return { rows: lines.length, cols, data: Float64Array.from(values) };
}
