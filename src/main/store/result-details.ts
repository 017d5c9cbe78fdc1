import { InstanasResultSchema, type InstanasResult } from '../../shared/instanas';

// The runs.result_details column (migration 7): what a strategy reports beyond the architecture, keyed by kind.
// Read through its schema, so a row written by an older or newer build that no longer fits shows as "no
// result" rather than as data the panels would misread.

export interface ResultDetails {
  instanas?: InstanasResult;
}

/** The InstaNAS result stored with a run, or null when there is none or it does not fit today's schema. */
export function readInstanasResult(text: string | null): InstanasResult | null {
  if (text === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = InstanasResultSchema.safeParse((raw as ResultDetails | null)?.instanas);
  return parsed.success ? parsed.data : null;
}

/** The column's value for a result event: its strategy-specific parts, or null when it has none. */
export function resultDetails(event: { type: 'result'; instanas?: InstanasResult }): ResultDetails | null {
  return event.instanas ? { instanas: event.instanas } : null;
}
