import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pruneAfterJob, trimCache } from '../../../src/main/dispatch/worker-cache';

// A worker's disk between jobs, on real folders: the job's work folder and single-use downloads go, the
// download cache keeps the most recently used data sets within its size.

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'nas-worker-cache-'));
  dirs.push(d);
  return d;
}

/** A cache entry <cache>/<sha>/<name> of `bytes`, last used `ageS` seconds ago. */
function entry(cache: string, sha: string, bytes: number, ageS: number): string {
  const dir = join(cache, sha);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), Buffer.alloc(bytes));
  const t = new Date(Date.now() - ageS * 1000);
  utimesSync(dir, t, t);
  return dir;
}

describe("the worker's cache and work folders", () => {
  it('a job leaves no work folder and no single-use checkpoint; its data set stays', () => {
    const root = scratch();
    const cache = join(root, 'cache');
    const runDir = join(root, 'runs', '7-attempt-2');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'checkpoint-epoch-3.bin'), 'weights');
    const data = entry(cache, 'aa', 100, 60);
    const resumed = entry(cache, 'cc', 100, 1);
    pruneAfterJob(cache, { runDir, reused: ['aa'], once: ['cc'] });
    expect(existsSync(runDir)).toBe(false);
    expect(existsSync(resumed)).toBe(false);
    expect(existsSync(data)).toBe(true);
  });

  it('over its size, the least recently used entries go first, never the ones the job just used', () => {
    const cache = join(scratch(), 'cache');
    const oldest = entry(cache, 'a1', 400, 300);
    const justUsed = entry(cache, 'b2', 400, 200); // old on disk, but the job that just ended used it
    const middle = entry(cache, 'c3', 400, 100);
    const newest = entry(cache, 'd4', 400, 10);
    pruneAfterJob(cache, { runDir: join(cache, '..', 'runs', 'none'), reused: ['b2'], once: [] }, 1000);
    expect([oldest, justUsed, middle, newest].map((d) => existsSync(d))).toEqual([false, true, false, true]);
  });

  it('a cache within its size is left as it is', () => {
    const cache = join(scratch(), 'cache');
    const all = [entry(cache, 'a1', 100, 30), entry(cache, 'b2', 100, 20)];
    trimCache(cache, 200);
    expect(all.every((d) => existsSync(d))).toBe(true);
  });
});
