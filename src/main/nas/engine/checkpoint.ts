import * as tf from './tf';
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

// Checkpoint file: "NASCKPT1" | u32 header length | JSON header {state, tensors:[{name,shape,offset,length}]}
// | float32 data. Written to a temporary file, fsynced, then renamed, so a crash or a full disk never leaves
// a half-written checkpoint under the final name.

const MAGIC = 'NASCKPT1';

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
  const tmp = `${path}.tmp-${process.pid}`;
  const hash = createHash('sha256');
  const fd = openSync(tmp, 'w');
  let size = 0;
  try {
    const write = (buf: Uint8Array) => {
      hash.update(buf);
      size += writeSync(fd, buf);
    };
    write(prefix);
    write(header);
    for (const c of chunks) write(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC') throw new Error(`Could not write checkpoint ${path}: the disk is full. Free some space and resume the run.`);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  return { path, size, checksum: hash.digest('hex') };
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
