import * as tf from './tf';
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statfsSync, writeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

// Checkpoint file: "NASCKPT1" | u32 header length | JSON header {state, tensors:[{name,shape,offset,length}]}
// | float32 data. Written to a temporary file, fsynced, then renamed, so a crash or a full disk never leaves
// a half-written checkpoint under the final name: a failed write leaves the previous checkpoint as it was.
// Free space is checked first, so a nearly full disk is reported before any writing starts.

const MAGIC = 'NASCKPT1';
/** Room left over after a checkpoint, for the run's other files and the system. */
export const CHECKPOINT_SPACE_MARGIN_BYTES = 2 ** 20;

/** A checkpoint that could not be written for lack of space or a disk that refused it. `code` is the errno
 * (ENOSPC for too little space), so callers can tell a disk problem from a bug. */
export class CheckpointWriteError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'CheckpointWriteError';
  }
}

function formatMb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/** Free bytes for this user on the disk holding `dir`; null where the system cannot say. */
function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

export interface CheckpointInfo {
  path: string;
  size: number;
  checksum: string;
}

interface Header {
  state: unknown;
  /** SHA-256 of the tensor data, so a flipped bit on disk is caught at load instead of resuming garbage. */
  dataSha256?: string;
  tensors: Array<{ name: string; shape: number[]; offset: number; length: number }>;
}

export async function saveCheckpoint(path: string, tensors: ReadonlyMap<string, tf.Tensor>, state: unknown): Promise<CheckpointInfo> {
  const entries: Header['tensors'] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const data = (await t.data()) as Float32Array;
    entries.push({ name, shape: t.shape, offset, length: data.length });
    chunks.push(data);
    offset += data.length;
  }
  const dataHash = createHash('sha256');
  for (const c of chunks) dataHash.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  const header = Buffer.from(JSON.stringify({ state, tensors: entries, dataSha256: dataHash.digest('hex') } satisfies Header), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(header.length, MAGIC.length);
  mkdirSync(dirname(path), { recursive: true });
  const needed = prefix.length + header.length + offset * 4 + CHECKPOINT_SPACE_MARGIN_BYTES;
  const free = freeBytes(dirname(path));
  if (free !== null && free < needed) {
    throw new CheckpointWriteError(
      `Not enough free space to write checkpoint ${path}: ${formatMb(free)} free, about ${formatMb(needed)} needed. The previous checkpoint is kept.`,
      'ENOSPC',
    );
  }
  const tmp = `${path}.tmp-${process.pid}`;
  const hash = createHash('sha256');
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (err) {
    throw writeError(path, err);
  }
  let size = 0;
  try {
    // writeSync may write less than asked (a disk filling up returns a short count, not an error): loop,
    // and a write that makes no progress is a full disk, so the partial file never replaces the last one.
    const write = (buf: Uint8Array) => {
      hash.update(buf);
      for (let done = 0; done < buf.length; ) {
        const n = writeSync(fd, buf, done, buf.length - done);
        if (n <= 0) throw Object.assign(new Error('no space left on device (short write)'), { code: 'ENOSPC' });
        done += n;
      }
      size += buf.length;
    };
    write(prefix);
    write(header);
    for (const c of chunks) write(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true }); // the partial file would only take space; the previous checkpoint stays
    throw writeError(path, err);
  }
  syncFolder(dirname(path)); // the rename itself survives a power cut
  return { path, size, checksum: hash.digest('hex') };
}

function writeError(path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') {
    return new CheckpointWriteError(`Could not write checkpoint ${path}: the disk is full. The previous checkpoint is kept.`, e.code);
  }
  if (e.code === 'EROFS' || e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EIO') {
    return new CheckpointWriteError(`Could not write checkpoint ${path} (${e.code}: ${e.message}). The previous checkpoint is kept.`, e.code);
  }
  return e;
}

/** fsync a folder, so that a rename into it survives a power cut (where the system allows it). */
export function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every system lets a folder be opened and synced (Windows); the rename is still atomic.
  }
}

export interface LoadedCheckpoint {
  state: unknown;
  /** Float32 data by name; the caller assigns it into its variables. */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

export function loadCheckpoint(path: string): LoadedCheckpoint {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new Error(`Cannot read checkpoint ${path}: ${(err as Error).message}`);
  }
  if (buf.length < MAGIC.length + 4 || buf.toString('ascii', 0, MAGIC.length) !== MAGIC) {
    throw new Error(`${path} is not a NAS Studio checkpoint (bad magic). Resume from an earlier checkpoint or restart the run.`);
  }
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const dataStart = MAGIC.length + 4 + headerLength;
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', MAGIC.length + 4, dataStart)) as Header;
  } catch {
    throw new Error(`Checkpoint ${path} is corrupt (unreadable header).`);
  }
  for (const t of header.tensors) {
    if (dataStart + (t.offset + t.length) * 4 > buf.length) throw new Error(`Checkpoint ${path} is truncated (tensor '${t.name}' is incomplete).`);
  }
  const total = header.tensors.reduce((n, t) => n + t.length, 0);
  if (header.dataSha256 && createHash('sha256').update(buf.subarray(dataStart, dataStart + total * 4)).digest('hex') !== header.dataSha256) {
    throw new Error(`Checkpoint ${path} is corrupt (its data does not match its checksum). Resume from an earlier checkpoint or restart the run.`);
  }
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of header.tensors) {
    const start = dataStart + t.offset * 4;
    if (start + t.length * 4 > buf.length) throw new Error(`Checkpoint ${path} is truncated (tensor '${t.name}' is incomplete).`);
    const data = new Float32Array(t.length);
    new Uint8Array(data.buffer).set(buf.subarray(start, start + t.length * 4));
    tensors.set(t.name, { shape: t.shape, data });
  }
  return { state: header.state, tensors };
}

/** Assigns checkpointed values into variables by name; every variable must be present with its shape. */
export function restoreVariables(ckpt: LoadedCheckpoint, variables: ReadonlyMap<string, tf.Variable>): void {
  for (const [name, v] of variables) {
    const t = ckpt.tensors.get(name);
    if (!t) throw new Error(`The checkpoint has no value for '${name}': it was written by a different model configuration.`);
    if (t.shape.join('x') !== v.shape.join('x')) {
      throw new Error(`Checkpoint shape mismatch for '${name}': ${t.shape.join('×')} in the file, ${v.shape.join('×')} in the model.`);
    }
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
}
