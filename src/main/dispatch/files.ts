import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FileRef } from './protocol';

// How files travel between the coordinator and its workers: by sha256. Datasets and a user's benchmark table
// are published by the coordinator and fetched (and cached) by workers; checkpoints are uploaded by workers
// and found by the coordinator under their sha256. The coordinator's HTTP file server (token, TLS) and its
// client implement these for a lab (issue 13 item 3, written alongside by the Redis/join-code work);
// FolderFiles below is the same contract on a folder both sides can reach (a shared drive, or tests).

/** Coordinator side. */
export interface CoordinatorFiles {
  /** Makes a local file fetchable by its content; returns its reference. */
  publish(path: string): Promise<FileRef>;
  /** Where an uploaded (or published) file lies on the coordinator, or null if it never arrived. */
  pathOf(sha256: string): string | null;
}

/** Worker side. */
export interface WorkerFiles {
  /** A local path holding the file's content (fetched once, then cached); the content is verified. */
  fetch(ref: FileRef): Promise<string>;
  /** Sends a local file to the coordinator; resolves once it is stored there. */
  upload(path: string): Promise<FileRef>;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const SHA256 = /^[0-9a-f]{64}$/;

/** A content-addressed folder: <root>/<sha256>. Both interfaces, for a folder both machines reach. */
export class FolderFiles implements CoordinatorFiles, WorkerFiles {
  /** Published paths by sha256 (a dataset is not copied into the folder: it is already on this disk). */
  private readonly published = new Map<string, string>();

  constructor(
    private readonly root: string,
    /** Where a worker keeps what it fetched (file names kept: the trainer reads IDX pairs by name). */
    private readonly cacheDir: string = join(root, 'cache'),
  ) {
    mkdirSync(root, { recursive: true });
  }

  async publish(path: string): Promise<FileRef> {
    const ref = await this.store(path);
    this.published.set(ref.sha256, path);
    return ref;
  }

  pathOf(sha256: string): string | null {
    if (!SHA256.test(sha256)) return null;
    const stored = join(this.root, sha256);
    return existsSync(stored) ? stored : (this.published.get(sha256) ?? null);
  }

  async fetch(ref: FileRef): Promise<string> {
    const source = this.pathOf(ref.sha256);
    if (!source) throw new Error(`The coordinator has no file ${ref.name} (sha256 ${ref.sha256.slice(0, 12)}…); start the run again from the coordinator.`);
    const dir = join(this.cacheDir, ref.sha256);
    const target = join(dir, ref.name);
    if (existsSync(target) && statSync(target).size === ref.size) return target;
    mkdirSync(dir, { recursive: true });
    copyFileSync(source, `${target}.part`);
    const got = await sha256File(`${target}.part`);
    if (got !== ref.sha256) throw new Error(`${ref.name} arrived damaged (sha256 ${got.slice(0, 12)}…, expected ${ref.sha256.slice(0, 12)}…); the run will be retried.`);
    renameSync(`${target}.part`, target);
    return target;
  }

  async upload(path: string): Promise<FileRef> {
    return this.store(path);
  }

  private async store(path: string): Promise<FileRef> {
    const sha256 = await sha256File(path);
    const target = join(this.root, sha256);
    if (!existsSync(target)) {
      copyFileSync(path, `${target}.part`);
      renameSync(`${target}.part`, target);
    }
    return { sha256, name: path.split(/[\\/]/).pop()!, size: statSync(path).size };
  }
}
