import type { z } from 'zod';

/** Plain-language text for one zod issue (field name shown separately by the form). */
export function issueText(issue: z.core.$ZodIssue): string {
  const i = issue as z.core.$ZodIssue & { minimum?: number | bigint; maximum?: number | bigint; inclusive?: boolean; expected?: string; origin?: string };
  // A message the schema wrote itself ("Choose a dataset.") says more than a generic one.
  const generic = /^(Too small|Too big|Invalid|Expected)/.test(issue.message);
  if (!generic && (i.code === 'too_small' || i.code === 'too_big')) return issue.message;
  switch (i.code) {
    case 'too_small':
      if (i.origin === 'string') return Number(i.minimum) <= 1 ? 'Required.' : `At least ${i.minimum} characters.`;
      if (i.origin === 'array') return `Choose at least ${i.minimum}.`;
      return i.inclusive === false ? `Must be greater than ${i.minimum}.` : `Must be at least ${i.minimum}.`;
    case 'too_big':
      if (i.origin === 'string') return `At most ${i.maximum} characters.`;
      return i.inclusive === false ? `Must be less than ${i.maximum}.` : `Must be at most ${i.maximum}.`;
    case 'invalid_type':
      if (i.expected === 'int') return 'Must be a whole number.';
      if (i.expected === 'number') return 'Enter a number.';
      return issue.message;
    case 'invalid_value':
      return issue.message.startsWith('Invalid input') ? 'Choose one of the listed values.' : issue.message;
    default:
      return issue.message ? issue.message.charAt(0).toUpperCase() + issue.message.slice(1) : 'Invalid value.';
  }
}

/** First message per top-level field. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? String(issue.path[0]) : '_';
    if (!(key in out)) out[key] = issueText(issue);
  }
  return out;
}

/**
 * First message per field path, nested fields joined with dots ("strategy.decisionFreq", "space.channels");
 * an issue on an array element (e.g. one of `space.ops`) belongs to the array field.
 */
export function pathErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const path = issue.path.filter((p) => typeof p === 'string').join('.') || '_';
    if (!(path in out)) out[path] = issueText(issue);
  }
  return out;
}
