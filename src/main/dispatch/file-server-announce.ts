import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { OWNER_ONLY_FILE, restrictToOwner } from '../store/file-modes';

// Where a worker that joined by a Redis URL (`nas-studio worker --redis …`, no join code) finds the file
// server: the coordinator announces its address, the lab's token and its CA fingerprint in one Redis hash.
// Whoever may read the lab's Redis may fetch its files: the Redis password is the lab's door either way.

export const LAB_FILES_KEY = 'nas:lab:files';

export interface FilesAnnouncement {
  url: string;
  token: string;
  caFingerprint: string | null;
}

export async function announceFiles(redis: Redis, a: FilesAnnouncement): Promise<void> {
  await redis.hset(LAB_FILES_KEY, { url: a.url, token: a.token, caFingerprint: a.caFingerprint ?? '' });
}

export async function discoverFiles(redis: Redis, where: string): Promise<FilesAnnouncement> {
  const h = await redis.hgetall(LAB_FILES_KEY);
  if (!h.url || !h.token) {
    throw Object.assign(new Error(`No NAS Studio coordinator uses the Redis at ${where} yet.`), {
      hint: "Start the coordinator first ('nas-studio serve --coordinator --redis …' or Settings → Let other machines help with this Redis), then this worker.",
    });
  }
  return { url: h.url, token: h.token, caFingerprint: h.caFingerprint || null };
}

/** The lab-wide file token (for workers joined by URL), kept 0600 in the data folder across restarts. */
export function labFilesToken(dir: string): string {
  const file = join(dir, 'files-token');
  if (existsSync(file)) {
    restrictToOwner(file, OWNER_ONLY_FILE);
    const t = readFileSync(file, 'utf8').trim();
    if (t.length >= 32) return t;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: OWNER_ONLY_FILE });
  restrictToOwner(file, OWNER_ONLY_FILE);
  return token;
}
