import { existsSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

// What a worker keeps on its disk between jobs. A job's work folder (the trainer's checkpoints) is gone once
// its events are on the stream: every checkpoint was uploaded to the coordinator by then, and a later attempt
// resumes from the coordinator's copy. The download cache (<cache>/<sha256>/<name>) keeps data sets for the
// next run on the same data, up to a size: the least recently used go first; a checkpoint fetched to resume
// from is used once and dropped with its job.

/** The download cache's default size: a few full-size image data sets. */
export const DEFAULT_CACHE_BYTES = 8 * 1024 ** 3;

export interface JobFiles {
  /** The job's work folder. */
  runDir: string;
  /** sha256 of what the job used and the next job on the same data will want again (data set, table). */
  reused: string[];
  /** sha256 of what only this job needed (the checkpoint it resumed from). */
  once: string[];
}

/** After a job: drops its work folder and single-use downloads, then trims the cache to `maxBytes`. */
export function pruneAfterJob(cacheDir: string | null, job: JobFiles, maxBytes = DEFAULT_CACHE_BYTES): void {
  rmSync(job.runDir, { recursive: true, force: true });
  if (!cacheDir || !existsSync(cacheDir)) return;
  for (const sha of job.once) if (!job.reused.includes(sha)) rmSync(join(cacheDir, sha), { recursive: true, force: true });
  // Marks what this job used as the most recently used (a cache hit does not change a file's times).
  const now = new Date();
  for (const sha of job.reused) {
    const dir = join(cacheDir, sha);
    if (existsSync(dir)) utimesSync(dir, now, now);
  }
  trimCache(cacheDir, maxBytes, new Set(job.reused));
}

/** Removes the least recently used entries until the cache holds at most `maxBytes` (never one in `keep`). */
export function trimCache(cacheDir: string, maxBytes: number, keep: Set<string> = new Set()): void {
  const entries = readdirSync(cacheDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => {
      const dir = join(cacheDir, e.name);
      const bytes = readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
      return { sha: e.name, dir, bytes, used: statSync(dir).mtimeMs };
    })
    .sort((a, b) => a.used - b.used);
  let total = entries.reduce((sum, e) => sum + e.bytes, 0);
  for (const e of entries) {
    if (total <= maxBytes) break;
    if (keep.has(e.sha)) continue;
    rmSync(e.dir, { recursive: true, force: true });
    total -= e.bytes;
  }
}
