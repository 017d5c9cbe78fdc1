import { z } from 'zod';
import { UserError } from '../../app-errors';

// A run bundle is one gzip-compressed tar file (`.nasrun`; `tar tzf` lists it):
//   manifest.json        written first: format, app and history-schema versions, and size + SHA-256 of every
//                        other member, so an import can check each member as it reads it
//   records/<table>.json the run's row and every row of the tables that reference it (metrics, snapshots,
//                        decisions, eigenvalues, artifacts, logs, notes, tags…), as columns + rows
//   files/…              the run's folder (latest checkpoint, exported models) and artifacts kept elsewhere

export const BUNDLE_FORMAT = 'nas-studio-run-bundle';
/** Raised only when a bundle changes so that older apps would misread it. */
export const BUNDLE_FORMAT_VERSION = 1;
export const BUNDLE_EXTENSION = '.nasrun';
export const MANIFEST_NAME = 'manifest.json';
export const RECORDS_DIR = 'records';
export const FILES_DIR = 'files';

/** Limits on what an import will unpack: a bundle is one run, not a disk image. */
export const MAX_MANIFEST_BYTES = 16 * 2 ** 20;
export const MAX_RECORDS_BYTES = 512 * 2 ** 20;
export const MAX_UNPACKED_BYTES = 32 * 2 ** 30;
export const MAX_MEMBERS = 100_000;

/** A member's name: relative, '/'-separated, no empty, '.' or '..' part, no backslash or control character. */
export function isSafeMemberName(name: string): boolean {
  if (name.length === 0 || name.length > 1024 || /[\\\0-\x1f]/.test(name) || name.startsWith('/')) return false;
  return name.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

export const RECORD_NAME = /^records\/[a-z_][a-z0-9_]{0,63}\.json$/;

export function isAllowedMemberName(name: string): boolean {
  if (!isSafeMemberName(name)) return false;
  return name === MANIFEST_NAME || RECORD_NAME.test(name) || name.startsWith(`${FILES_DIR}/`);
}

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const ManifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.number().int().positive(),
  app: z.object({ name: z.string(), version: z.string() }),
  /** The history's schema version (PRAGMA user_version) the records were read with. */
  schemaVersion: z.number().int().positive(),
  exportedAt: z.number(),
  run: z.object({ id: z.number().int().positive(), name: z.string(), kind: z.string(), status: z.string() }),
  /** The dataset the run trained on, to find the same files in the importing history (by checksum). */
  dataset: z.object({ name: z.string(), checksum: z.string(), classes: z.number().int(), trainCount: z.number().int() }).nullable(),
  /** Absolute paths in the records that pointed into the bundle's files: `from` (the exporting machine's
   * path) now lives at files/`to`. An import rewrites them to its own run folder. */
  paths: z.array(z.object({ from: z.string().min(1), to: z.string() })),
  members: z
    .array(z.object({ name: z.string().refine(isAllowedMemberName, 'not an allowed member name'), size: z.number().int().nonnegative(), sha256: Sha256 }))
    .max(MAX_MEMBERS),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** A table's rows in a bundle: column names once, then one array per row. */
export const TableRecordsSchema = z.object({ columns: z.array(z.string().regex(/^[a-z_][a-z0-9_]*$/)), rows: z.array(z.array(z.unknown())) });
export type TableRecords = z.infer<typeof TableRecordsSchema>;

/** The bundle file is unreadable, damaged, tampered with, or not a bundle. Nothing was imported. */
export class BadBundleError extends UserError {
  constructor(path: string, problem: string, hint = 'Export the run again from the app that has it, and copy the whole file.') {
    super(`${path} cannot be imported: ${problem}. Nothing was imported.`, hint);
    this.name = 'BadBundleError';
  }
}

/** The bundle comes from a newer NAS Studio whose history this app cannot read yet. */
export class NewerBundleError extends UserError {
  constructor(path: string, manifest: { app: { version: string }; schemaVersion: number; formatVersion: number }, schemaVersion: number) {
    super(
      `${path} was exported by NAS Studio ${manifest.app.version} (history schema ${manifest.schemaVersion}, bundle format ` +
        `${manifest.formatVersion}); this app reads history schema ${schemaVersion} and bundle format ${BUNDLE_FORMAT_VERSION} at most. Nothing was imported.`,
      `Update NAS Studio to ${manifest.app.version} or later, then import the bundle again.`,
    );
    this.name = 'NewerBundleError';
  }
}

// JSON has no Infinity or NaN; a diverged loss can be ±Infinity in the metrics table.
const NON_FINITE = '$nonFinite';

export function encodeCell(v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return { [NON_FINITE]: String(v) };
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) throw new Error('Binary columns are not supported in run bundles.');
  return v;
}

export function decodeCell(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const text = (v as Record<string, unknown>)[NON_FINITE];
    if (text === 'Infinity' || text === '-Infinity' || text === 'NaN') return Number(text);
    throw new Error('a cell holds an object');
  }
  return v;
}
