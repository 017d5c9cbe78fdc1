import type { z } from 'zod';

/** Plain-language text for one zod issue (field name shown separately by the form). */
export function issueText(issue: z.core.$ZodIssue): string {
  const i = issue as z.core.$ZodIssue & { minimum?: number | bigint; maximum?: number | bigint; inclusive?: boolean; expected?: string; origin?: string };
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
