import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, readdirSync } from 'node:fs';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

// File helpers shared by export and import: walking a folder, hashing, durable writes.

/** Regular files under `dir`, as '/'-separated paths relative to it (symbolic links are skipped). */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export async function sha256File(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

export function sha256Buffer(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Flushes a written file to the disk, so a rename that follows never publishes a partial file. */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/** `path` is `dir` or inside it (either separator: the exporting machine may have been another system). */
export function within(path: string, dir: string): string | null {
  if (path === dir) return '';
  if (path.startsWith(dir) && (path[dir.length] === '/' || path[dir.length] === '\\')) return path.slice(dir.length + 1).replace(/\\/g, '/');
  return null;
}
