// IDX reader (the MNIST family file format: MNIST, Fashion-MNIST, EMNIST, KMNIST).
//
// Layout: magic (4 bytes: 0, 0, type code, number of dimensions), then one big-endian uint32 per dimension,
// then the values in row-major order, big-endian for multi-byte types. Files may be gzip-compressed; gzip is
// detected by its magic bytes (1f 8b), not by the file name.
import { closeSync, readFileSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { DatasetFileError } from './errors';
import { fileAccessError, openRegularFileSync } from './file-checks';
import { checkIdxPair } from './idx-pair-checks';
import { checkDataLength, parseIdxHeader, REDOWNLOAD, tooMuchDataError, type IdxHeader, type IdxType } from './idx-header';
import type { ImageSet } from './image-set';

export type { IdxType } from './idx-header';

/** 0x00000803: uint8, 3 dimensions (N × H × W images). */
export const IDX_MAGIC_IMAGES = 0x00000803;
/** 0x00000801: uint8, 1 dimension (N labels). */
export const IDX_MAGIC_LABELS = 0x00000801;

export interface IdxFile {
  /** The magic number as read (e.g. 0x00000803). */
  magic: number;
  type: IdxType;
  dims: number[];
  /** The element bytes as stored: for uint8 these are the values; multi-byte types stay big-endian. */
  data: Uint8Array;
}

const isGzip = (raw: Uint8Array) => raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;

function gzipError(file: string, e: unknown): DatasetFileError {
  return new DatasetFileError(
    file,
    `the gzip data is corrupt or truncated (${(e as Error).message})`,
    `${REDOWNLOAD}, or decompress it with another tool to check it.`,
  );
}

/**
 * Decompresses gzip data, never to more than the IDX header inside declares: the header is read from a
 * decompressed prefix first, and the full decompression stops (and refuses) one byte past the declared size,
 * so a small file that expands to gigabytes costs no more memory than an honest one.
 */
function gunzipCapped(file: string, raw: Uint8Array): Uint8Array {
  let header: IdxHeader | null = null;
  // A compressed prefix expands to at most ~1000× its size; the IDX header is in the first bytes of output.
  for (const prefix of [1024, 16 * 1024]) {
    const slice = raw.subarray(0, prefix);
    let head: Buffer;
    try {
      head = gunzipSync(slice, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (e) {
      throw gzipError(file, e);
    }
    header = parseIdxHeader(file, head, slice.length === raw.length);
    if (header || slice.length === raw.length) break;
  }
  if (!header) throw new DatasetFileError(file, 'the IDX header could not be found at the start of the gzip data', `${REDOWNLOAD}.`);
  try {
    const out = gunzipSync(raw, { maxOutputLength: header.headerBytes + header.dataBytes });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooMuchDataError(file, header, true);
    throw gzipError(file, e);
  }
}

/** Parses IDX bytes (already decompressed). `file` is only used in error messages. */
export function parseIdx(file: string, bytes: Uint8Array, compressedName = false): IdxFile {
  const h = parseIdxHeader(file, bytes, true, compressedName)!;
  checkDataLength(file, h, bytes.length - h.headerBytes);
  return { magic: h.magic, type: h.type, dims: h.dims, data: bytes.subarray(h.headerBytes) };
}

/**
 * Reads an IDX file, gzip-compressed or raw (gzip is detected by its magic bytes 1f 8b, not by the name).
 * Only regular files of plausible size are opened (see file-checks.ts). `shownAs` is the path named in errors.
 */
export function readIdx(path: string, shownAs = path): IdxFile {
  const { fd } = openRegularFileSync(path, shownAs);
  let raw: Uint8Array;
  try {
    raw = readFileSync(fd);
  } catch (e) {
    throw fileAccessError(shownAs, e);
  } finally {
    closeSync(fd);
  }
  if (isGzip(raw)) return parseIdx(shownAs, gunzipCapped(shownAs, raw));
  return parseIdx(shownAs, raw, /\.gz$/i.test(shownAs));
}

/** Decodes the element bytes into numbers of the file's type. */
export function idxValues(file: IdxFile): Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array {
  const { data, type } = file;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (type) {
    case 'uint8':
      return data;
    case 'int8':
      return new Int8Array(data.buffer, data.byteOffset, data.byteLength);
    case 'int16':
      return Int16Array.from({ length: data.byteLength / 2 }, (_, i) => view.getInt16(2 * i, false));
    case 'int32':
      return Int32Array.from({ length: data.byteLength / 4 }, (_, i) => view.getInt32(4 * i, false));
    case 'float32':
      return Float32Array.from({ length: data.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, false));
    case 'float64':
      return Float64Array.from({ length: data.byteLength / 8 }, (_, i) => view.getFloat64(8 * i, false));
  }
}

export interface LoadIdxPairOptions {
  /** Number of classes; every label must be smaller. Default: the largest label + 1. */
  classes?: number;
}

/**
 * Loads an images file (uint8, N×H×W or N×H×W×C) and its labels file (uint8, N) into an ImageSet.
 */
export function loadIdxPair(imagesPath: string, labelsPath: string, options: LoadIdxPairOptions = {}): ImageSet {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  const shape = checkIdxPair({ path: imagesPath, ...images }, { path: labelsPath, ...labels }, labels.data, options.classes);
  return { images: images.data, labels: labels.data, ...shape };
}
