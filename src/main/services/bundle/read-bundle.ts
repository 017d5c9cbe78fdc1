import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import * as tar from 'tar';
import { NotFoundError, UserError } from '../../app-errors';
import { RUN_START_MARGIN_BYTES, requireFreeSpace } from '../../disk-space';
import { listFiles, sha256File } from './files';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  BadBundleError,
  FILES_DIR,
  MANIFEST_NAME,
  MAX_MANIFEST_BYTES,
  MAX_MEMBERS,
  MAX_RECORDS_BYTES,
  MAX_UNPACKED_BYTES,
  ManifestSchema,
  NewerBundleError,
  RECORDS_DIR,
  TableRecordsSchema,
  isAllowedMemberName,
  isSafeMemberName,
  type Manifest,
  type TableRecords,
} from './format';

// Import, first half: unpack the bundle into a temporary folder inside the data folder and check all of it —
// only plain files and folders with safe names, under the size limits; the manifest's format and versions; every
// member present, listed, of its size and SHA-256; the records well-formed — before anything touches the history.

export interface StagedBundle {
  manifest: Manifest;
  records: Record<string, TableRecords>;
  /** The unpacked files/ folder; null when the run had no files. */
  filesDir: string | null;
  /** Removes the temporary folder (whatever was moved out of it is kept). */
  discard(): void;
}

export const STAGING_PREFIX = '.import-';

export async function stageBundle(path: string, stagingParent: string, schemaVersion: number): Promise<StagedBundle> {
  if (!isAbsolute(path)) throw new UserError(`path: '${path}' is not a full path.`, 'Give the full path of the .nasrun file, e.g. /home/me/run-12.nasrun.');
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UserError(`${path} is a folder, not a bundle file.`, 'Give the path of the .nasrun file itself.');
    size = st.size;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new NotFoundError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message}.`, 'Check the path.');
  }
  if (size === 0) throw new BadBundleError(path, 'the file is empty');
  mkdirSync(stagingParent, { recursive: true, mode: 0o700 });
  // At least the compressed size is unpacked (records compress several-fold; checkpoints hardly at all).
  requireFreeSpace(stagingParent, size + RUN_START_MARGIN_BYTES, 'import this bundle');
  const dir = mkdtempSync(join(stagingParent, STAGING_PREFIX));
  const discard = () => rmSync(dir, { recursive: true, force: true });
  try {
    await unpack(path, dir);
    const manifest = readManifest(path, dir, schemaVersion);
    await checkMembers(path, dir, manifest);
    const records = readRecords(path, dir, manifest);
    const filesDir = manifest.members.some((m) => m.name.startsWith(`${FILES_DIR}/`)) ? join(dir, FILES_DIR) : null;
    return { manifest, records, filesDir, discard };
  } catch (e) {
    discard();
    throw e;
  }
}

async function unpack(path: string, dir: string): Promise<void> {
  const problems: string[] = [];
  let count = 0;
  let total = 0;
  try {
    await tar.x({
      file: path,
      cwd: dir,
      strict: true, // a warning (bad header, path outside, truncated data) is an error
      preserveOwner: false,
      noChmod: true,
      filter: (name, entry) => {
        const e = entry as tar.ReadEntry;
        const clean = name.replace(/\/+$/, '');
        count++;
        if (count === 1 && clean !== MANIFEST_NAME) problems.push(`its first member is '${clean}', not ${MANIFEST_NAME}`);
        if (e.type === 'Directory') {
          if (!isSafeMemberName(clean) || !(clean === RECORDS_DIR || clean === FILES_DIR || clean.startsWith(`${FILES_DIR}/`))) problems.push(`it holds the folder '${clean}'`);
        } else if (e.type !== 'File' && e.type !== 'OldFile') {
          problems.push(`it holds '${clean}', a ${e.type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} (only plain files belong in a bundle)`);
        } else if (!isAllowedMemberName(clean)) {
          problems.push(`it holds '${clean}', which is not a bundle member`);
        }
        total += e.size ?? 0;
        if (count > MAX_MEMBERS + 100) problems.push(`it holds more than ${MAX_MEMBERS} members`);
        if (total > MAX_UNPACKED_BYTES) problems.push('it unpacks to more than 32 GB');
        return problems.length === 0;
      },
    });
  } catch (e) {
    if ((e as { code?: string }).code === 'TAR_BAD_ARCHIVE' && count === 0) {
      throw new BadBundleError(path, 'it is not a NAS Studio run bundle (not a tar archive)', 'Choose a .nasrun file exported by NAS Studio (Export bundle on a run, or nas-studio export).');
    }
    throw new BadBundleError(path, `it is not a complete NAS Studio bundle (${(e as Error).message.replace(/\.$/, '')}); the file may be truncated or damaged`);
  }
  if (problems.length) throw new BadBundleError(path, problems[0]!);
}

function readManifest(path: string, dir: string, schemaVersion: number): Manifest {
  const file = join(dir, MANIFEST_NAME);
  let raw: unknown;
  try {
    if (statSync(file).size > MAX_MANIFEST_BYTES) throw new Error('too large');
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new BadBundleError(path, `it has no readable ${MANIFEST_NAME}; it is not a NAS Studio run bundle`, 'Choose a .nasrun file exported by NAS Studio (Export bundle on a run, or nas-studio export).');
  }
  const head = raw as { format?: unknown; formatVersion?: unknown; schemaVersion?: unknown; app?: { version?: unknown } };
  if (head?.format !== BUNDLE_FORMAT) throw new BadBundleError(path, 'it is not a NAS Studio run bundle', 'Choose a .nasrun file exported by NAS Studio.');
  const formatVersion = Number(head.formatVersion);
  const bundleSchema = Number(head.schemaVersion);
  if (formatVersion > BUNDLE_FORMAT_VERSION || bundleSchema > schemaVersion) {
    const version = typeof head.app?.version === 'string' ? head.app.version : 'a newer version';
    throw new NewerBundleError(path, { app: { version }, schemaVersion: bundleSchema, formatVersion }, schemaVersion);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BadBundleError(path, `its manifest is invalid (${issue.path.join('.') || 'manifest'}: ${issue.message})`);
  }
  return parsed.data;
}

async function checkMembers(path: string, dir: string, manifest: Manifest): Promise<void> {
  const listed = new Map(manifest.members.map((m) => [m.name, m]));
  if (listed.size !== manifest.members.length) throw new BadBundleError(path, 'its manifest lists a member twice');
  const present = new Set(listFiles(dir).filter((n) => n !== MANIFEST_NAME));
  for (const name of present) if (!listed.has(name)) throw new BadBundleError(path, `it holds '${name}', which its manifest does not list`);
  for (const m of manifest.members) {
    if (!present.has(m.name)) throw new BadBundleError(path, `'${m.name}' is missing; the file is probably truncated`);
    const actual = await sha256File(join(dir, ...m.name.split('/')));
    if (actual.size !== m.size || actual.sha256 !== m.sha256) {
      throw new BadBundleError(path, `'${m.name}' does not match its checksum in the manifest; the file was changed or damaged after export`);
    }
  }
}

function readRecords(path: string, dir: string, manifest: Manifest): Record<string, TableRecords> {
  const out: Record<string, TableRecords> = {};
  let total = 0;
  for (const m of manifest.members) {
    if (!m.name.startsWith(`${RECORDS_DIR}/`)) continue;
    total += m.size;
    if (total > MAX_RECORDS_BYTES) throw new BadBundleError(path, 'its records are larger than 512 MB');
    const table = m.name.slice(RECORDS_DIR.length + 1, -'.json'.length);
    let parsed;
    try {
      parsed = TableRecordsSchema.safeParse(JSON.parse(readFileSync(join(dir, RECORDS_DIR, `${table}.json`), 'utf8')));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) throw new BadBundleError(path, `its records of '${table}' are not readable`);
    out[table] = parsed.data;
  }
  if (out.runs?.rows.length !== 1) throw new BadBundleError(path, 'it does not hold exactly one run');
  return out;
}
