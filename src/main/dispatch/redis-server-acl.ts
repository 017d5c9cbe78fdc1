import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OWNER_ONLY_FILE, restrictToOwner } from '../store/file-modes';

// Who may use the lab's Redis: one ACL user for the coordinator and one per worker, each with its own
// password, and the default (password-less) user switched off. The passwords live in credentials.json
// (0600, in the 0700 Redis folder) so a restarted coordinator starts Redis with the same users and can show a
// worker's join code again; the ACL file Redis reads holds only their SHA-256 hashes.

export const COORDINATOR_USER = 'nas-coordinator';
const WORKER_PREFIX = 'nas-worker-';

/**
 * A worker runs BullMQ (Lua scripts, streams, keys) but no server administration: no CONFIG, ACL,
 * SHUTDOWN, MONITOR, FLUSHALL, KEYS… (@admin, @dangerous). INFO is allowed back because BullMQ reads the
 * server's version with it; CLIENT SETNAME because BullMQ names its connections.
 */
export const WORKER_RULES = '~* &* +@all -@admin -@dangerous +info +client|setname +client|getname +client|id';
const COORDINATOR_RULES = '~* &* +@all';

export interface RedisUser {
  user: string;
  password: string;
  createdAt: string;
  /** When a worker first logged in as this user: its join code is used, the next worker gets a new one. */
  joinedAt?: string;
  /** Revoked users stay listed (their name is not reused) but are switched off in Redis. */
  revoked?: boolean;
}

export interface LabCredentials {
  coordinator: RedisUser;
  workers: RedisUser[];
}

const newSecret = () => randomBytes(24).toString('base64url');
const now = () => new Date().toISOString();

export function credentialsFile(dir: string): string {
  return join(dir, 'credentials.json');
}

export function aclFile(dir: string): string {
  return join(dir, 'users.acl');
}

/** Reads the stored credentials, or makes the coordinator's on first use (not yet written). */
export function loadCredentials(dir: string): LabCredentials {
  const file = credentialsFile(dir);
  if (!existsSync(file)) return { coordinator: { user: COORDINATOR_USER, password: newSecret(), createdAt: now() }, workers: [] };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as LabCredentials;
    if (!parsed.coordinator?.password || !Array.isArray(parsed.workers)) throw new Error('fields missing');
    return parsed;
  } catch (e) {
    throw new Error(`The lab's Redis credentials in ${file} cannot be read (${(e as Error).message}). Delete the file to make new ones; every worker then needs a new join code.`);
  }
}

/** A new worker user with its own password (not yet saved: call saveCredentials and writeAclFile). */
export function addWorkerUser(creds: LabCredentials): RedisUser {
  const taken = new Set(creds.workers.map((w) => w.user));
  let n = creds.workers.length + 1;
  while (taken.has(`${WORKER_PREFIX}${n}`)) n++;
  const worker = { user: `${WORKER_PREFIX}${n}`, password: newSecret(), createdAt: now() };
  creds.workers.push(worker);
  return worker;
}

function writeOwnerOnly(file: string, text: string): void {
  // Written beside and renamed, so Redis (ACL LOAD) or a crash never sees half a file.
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: OWNER_ONLY_FILE });
  restrictToOwner(tmp, OWNER_ONLY_FILE);
  renameSync(tmp, file);
}

export function saveCredentials(dir: string, creds: LabCredentials): void {
  writeOwnerOnly(credentialsFile(dir), `${JSON.stringify(creds, null, 2)}\n`);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The ACL file's text: default user off, the coordinator with every right, workers as WORKER_RULES. */
export function aclText(creds: LabCredentials): string {
  const lines = ['user default off resetkeys resetchannels -@all', `user ${creds.coordinator.user} on #${sha256(creds.coordinator.password)} ${COORDINATOR_RULES}`];
  for (const w of creds.workers) lines.push(`user ${w.user} ${w.revoked ? 'off' : 'on'} #${sha256(w.password)} ${WORKER_RULES}`);
  return `${lines.join('\n')}\n`;
}

export function writeAclFile(dir: string, creds: LabCredentials): void {
  writeOwnerOnly(aclFile(dir), aclText(creds));
}
