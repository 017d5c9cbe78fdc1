// Streamed IDX reading for imports: the file is read in chunks (gzip decompressed by a zlib stream) on
// Node's thread pool, so the server keeps answering meanwhile, and reading stops as soon as the data runs past
// what the header declares, so a small gzip that expands to gigabytes costs a few kilobytes.
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DatasetFileError } from './errors';
import { openRegularFile } from './file-checks';
import { checkDataLength, parseIdxHeader, REDOWNLOAD, tooMuchDataError, type IdxHeader } from './idx-header';

export interface IdxScan extends IdxHeader {
  gzip: boolean;
  /** The data part (after the header), when `keepData` was asked for. */
  data: Uint8Array | null;
}

export interface ScanOptions {
  /** The path named in errors (the user's file when `path` is the app's copy of it). */
  shownAs?: string;
  /** Keep the data part in memory (labels, sample images); otherwise it is only counted. */
  keepData?: boolean;
  /** Called with the header before any data is read or kept; throw to refuse the file early. */
  onHeader?: (header: IdxHeader) => void;
}

async function startsWithGzipMagic(handle: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(2);
  const { bytesRead } = await handle.read(head, 0, 2, 0);
  return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Reads and checks one IDX file (gzip or raw) without blocking; throws DatasetFileError naming `shownAs`. */
export async function scanIdxFile(path: string, options: ScanOptions = {}): Promise<IdxScan> {
  const shownAs = options.shownAs ?? path;
  const { handle, size } = await openRegularFile(path, shownAs);
  let raw: Readable | null = null;
  let source: Readable | null = null;
  try {
    const gzip = await startsWithGzipMagic(handle);
    // Never more than the size seen at open: a file that grows meanwhile is not followed.
    raw = handle.createReadStream({ start: 0, end: size - 1, autoClose: false });
    source = gzip ? raw.pipe(createGunzip()) : raw;
    if (gzip) raw.on('error', (e) => source!.destroy(e));
    return await consume(source, shownAs, gzip, options);
  } finally {
    source?.destroy();
    raw?.destroy();
    await handle.close().catch(() => undefined);
  }
}

async function consume(source: Readable, file: string, gzip: boolean, { keepData = false, onHeader }: ScanOptions): Promise<IdxScan> {
  let headerBuf = Buffer.alloc(0);
  let header: IdxHeader | null = null;
  let data: Uint8Array | null = null;
  let received = 0; // data bytes after the header
  const take = (chunk: Buffer) => {
    if (!header) return;
    if (received + chunk.length > header.dataBytes) throw tooMuchDataError(file, header, gzip);
    if (data) data.set(chunk, received);
    received += chunk.length;
  };
  try {
    for await (const c of source) {
      const chunk = c as Buffer;
      if (header) {
        take(chunk);
        continue;
      }
      headerBuf = Buffer.concat([headerBuf, chunk]);
      header = parseIdxHeader(file, headerBuf, false, !gzip && /\.gz$/i.test(file));
      if (header) {
        onHeader?.(header);
        if (keepData) data = new Uint8Array(header.dataBytes);
        take(headerBuf.subarray(header.headerBytes));
        headerBuf = Buffer.alloc(0);
      }
    }
  } catch (e) {
    if (e instanceof DatasetFileError) throw e;
    if (gzip && (e as NodeJS.ErrnoException).code?.startsWith('Z_')) {
      throw new DatasetFileError(file, `the gzip data is corrupt or truncated (${(e as Error).message})`, `${REDOWNLOAD}, or decompress it with another tool to check it.`);
    }
    throw new DatasetFileError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'Check the path and the disk.');
  }
  if (!header) {
    header = parseIdxHeader(file, headerBuf, true, !gzip && /\.gz$/i.test(file))!;
    onHeader?.(header);
  }
  checkDataLength(file, header, received);
  return { ...header, gzip, data };
}
