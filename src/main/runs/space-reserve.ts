import { closeSync, existsSync, fsyncSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

// A few megabytes held in the data folder while the disk has room, released when it fills up, so the
// run manager can still record "paused: the disk is full" and the events it was holding, instead of leaving
// the run marked as running until someone frees space. Re-made once the disk has room again.

export const RESERVE_BYTES = 2 * 2 ** 20;
const RESERVE_FILE = '.space-reserve';

export class SpaceReserve {
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, RESERVE_FILE);
  }

  /** Makes the reserve if it is missing; false when the disk has no room for it (that is fine). */
  ensure(): boolean {
    try {
      if (existsSync(this.path) && statSync(this.path).size === RESERVE_BYTES) return true;
      // Real blocks, not a sparse file: zeros written, then synced.
      const fd = openSync(this.path, 'w');
      try {
        const chunk = Buffer.alloc(256 * 1024);
        for (let written = 0; written < RESERVE_BYTES; ) written += writeSync(fd, chunk, 0, Math.min(chunk.length, RESERVE_BYTES - written));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch {
      rmSync(this.path, { force: true });
      return false;
    }
  }

  /** Frees the reserve's space for the writes that must get through; true if there was one. */
  release(): boolean {
    if (!existsSync(this.path)) return false;
    rmSync(this.path, { force: true });
    return true;
  }
}
