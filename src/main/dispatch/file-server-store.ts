import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE, restrictToOwner } from '../store/file-modes';
import { sha256File } from './files';
import type { FileRef } from './protocol';

// What the coordinator's file server may hand out, by sha256: files it published (datasets, a benchmark
// table: they stay where they are, and the list survives a restart so queued jobs can still fetch them) and
// files workers uploaded (checkpoints, kept in <dir>/<sha256>). Nothing else on the disk is reachable.

export const SHA256_HEX = /^[0-9a-f]{64}$/;

interface Published {
  path: string;
  size: number;
  mtimeMs: number;
}

export class ContentStore {
  private readonly published = new Map<string, Published>();
  private readonly index: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR });
    restrictToOwner(dir, OWNER_ONLY_DIR);
    this.index = join(dir, 'published.json');
    if (existsSync(this.index)) {
      try {
        for (const [sha, p] of Object.entries(JSON.parse(readFileSync(this.index, 'utf8')) as Record<string, Published>)) this.published.set(sha, p);
      } catch {
        /* an unreadable list is rebuilt as files are published again */
      }
    }
  }

  /** Makes a local file fetchable by its content (hashed once per version of the file). */
  async publish(path: string): Promise<FileRef> {
    const st = statSync(path);
    for (const [sha, p] of this.published) {
      if (p.path === path && p.size === st.size && p.mtimeMs === st.mtimeMs) return { sha256: sha, name: basename(path), size: st.size };
    }
    const sha256 = await sha256File(path);
    this.published.set(sha256, { path, size: st.size, mtimeMs: st.mtimeMs });
    const tmp = `${this.index}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.published)), { mode: OWNER_ONLY_FILE });
    renameSync(tmp, this.index);
    return { sha256, name: basename(path), size: st.size };
  }

  /** The file holding that content: an upload, or a published file not changed since it was hashed. */
  pathOf(sha256: string): string | null {
    if (!SHA256_HEX.test(sha256)) return null;
    const stored = join(this.dir, sha256);
    if (existsSync(stored)) return stored;
    const p = this.published.get(sha256);
    if (!p) return null;
    try {
      const st = statSync(p.path);
      // A published file edited since: its content is no longer what the hash names.
      return st.size === p.size && st.mtimeMs === p.mtimeMs ? p.path : null;
    } catch {
      return null;
    }
  }

  /** Where an upload is written before its hash is checked (unique, so two uploads never share it). */
  partFile(sha256: string): string {
    return join(this.dir, `.${sha256}.${process.pid}.${Math.random().toString(36).slice(2)}.part`);
  }

  /** Moves a checked upload into place. */
  commit(part: string, sha256: string): string {
    const target = join(this.dir, sha256);
    renameSync(part, target);
    restrictToOwner(target, OWNER_ONLY_FILE);
    return target;
  }
}
