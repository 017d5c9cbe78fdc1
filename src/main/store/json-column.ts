// JSON columns: SQLite stores text; the app sees plain data. `undefined` (an absent genotype, say) is stored
// as NULL, because JSON.stringify(undefined) is not text.
export function toJsonColumn(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value);
}

export function fromJsonColumn<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}
