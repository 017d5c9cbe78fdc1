import type { z } from 'zod';
import { DatasetFileError } from './nas/data/errors';

// Errors a request can end with, each carrying the HTTP status the headless server answers with. Anything
// thrown that is not one of these is a server fault (500). The Electron IPC passes message and hint along.

/** Bad input: the request's arguments are wrong (400). The message names the argument that failed. */
export class UserError extends Error {
  readonly status: number = 400;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** The run, dataset or file the request names does not exist (404). */
export class NotFoundError extends UserError {
  override readonly status = 404;
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'NotFoundError';
  }
}

/** The thing exists but is in the wrong state for this request, e.g. resuming a completed run (409). */
export class ConflictError extends UserError {
  override readonly status = 409;
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'ConflictError';
  }
}

/** The HTTP status for anything thrown by a handler: the typed errors' own, else 500 (a server fault). */
export function statusOf(e: unknown): number {
  if (e instanceof UserError) return e.status;
  // A dataset file the user picked is unreadable or malformed: their input, not our fault.
  if (e instanceof DatasetFileError) return 400;
  return 500;
}

/**
 * One part per problem, labelled by the argument that failed as the request spells it: "config.dataset: must
 * be a string; config.epochs: must be at least 1"; unknown keys are named ("config.learningRate: not a
 * known argument") instead of blaming the object around them.
 */
export function describeArgsError(err: z.ZodError, rawArgs: unknown): string {
  return err.issues
    .map((issue) => {
      const given = valueAt(rawArgs, issue.path);
      const path = issue.path.map(String);
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      if (keys.length) return keys.map((k) => `${[...path, k].join('.')}: not a known argument`).join('; ');
      return `${path.length ? path.join('.') : 'arguments'}: ${plainMessage(issue, given)}`;
    })
    .join('; ');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function plainMessage(issue: z.core.$ZodIssue, given: unknown): string {
  if (issue.code === 'invalid_type') {
    if (given === undefined) return 'is required';
    const expected = issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`;
    return `must be ${expected}`;
  }
  return issue.message;
}
