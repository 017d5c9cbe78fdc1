// IDX reader (the MNIST family file format: MNIST, Fashion-MNIST, EMNIST, KMNIST).
//
// Layout: magic (4 bytes: 0, 0, type code, number of dimensions), then one big-endian uint32 per dimension,
// then the values in row-major order, big-endian for multi-byte types. Files may be gzip-compressed; gzip is
// detected by its magic bytes (1f 8b), not by the file name.
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DatasetFileError } from './errors';
import type { ImageSet } from './image-set';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

const TYPE_CODES: Record<number, { type: IdxType; bytes: number }> = {
  0x08: { type: 'uint8', bytes: 1 },
  0x09: { type: 'int8', bytes: 1 },
  0x0b: { type: 'int16', bytes: 2 },
  0x0c: { type: 'int32', bytes: 4 },
  0x0d: { type: 'float32', bytes: 4 },
  0x0e: { type: 'float64', bytes: 8 },
};

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

const REDOWNLOAD = 'Re-download the file';

function describeMagic(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** What the header promises, in words: "60000 labels", "60000 images of 28×28". */
function describeContents(dims: number[], type: IdxType, elemBytes: number, bytes: number): string {
  if (type === 'uint8' && dims.length === 1) return plural(dims[0], 'label');
  if (type === 'uint8' && dims.length === 3) return `${plural(dims[0], 'image')} of ${dims[1]}×${dims[2]}`;
  if (type === 'uint8' && dims.length === 4) {
    return `${plural(dims[0], 'image')} of ${dims[1]}×${dims[2]}×${dims[3]}`;
  }
  return `a ${dims.join('×')} array of ${type} (${bytes} bytes at ${elemBytes} per value)`;
}

/** Decompresses when the bytes start with the gzip magic; otherwise returns them as they are. */
function maybeGunzip(file: string, raw: Uint8Array): Uint8Array {
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      const out = gunzipSync(raw);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      throw new DatasetFileError(
        file,
        `the gzip data is corrupt or truncated (${(e as Error).message})`,
        `${REDOWNLOAD}, or decompress it with another tool to check it.`,
      );
    }
  }
  return raw;
}

/** Parses IDX bytes (already decompressed). `file` is only used in error messages. */
export function parseIdx(file: string, bytes: Uint8Array, compressedName = false): IdxFile {
  if (bytes.length === 0) {
    throw new DatasetFileError(file, 'the file is empty (0 bytes of data)', `${REDOWNLOAD}; the copy on disk holds nothing.`);
  }
  const looksIdx = bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] in TYPE_CODES && bytes[3] > 0;
  if (!looksIdx) {
    if (compressedName) {
      throw new DatasetFileError(
        file,
        `not a gzip file: the name ends in .gz but the file does not start with the gzip bytes 1f 8b ` +
          `(it starts with ${describeMagic(bytes)}), and it is not a raw IDX file either`,
        `${REDOWNLOAD}; it may be an HTML error page or a partial download.`,
      );
    }
    if (bytes.length < 4) {
      throw new DatasetFileError(file, `too short to be an IDX file (${plural(bytes.length, 'byte')})`, `${REDOWNLOAD}.`);
    }
    const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    throw new DatasetFileError(
      file,
      `wrong magic number 0x${magic.toString(16).padStart(8, '0')}: an IDX file starts with 00 00, a type code ` +
        `(08 for uint8) and its number of dimensions, e.g. 0x00000803 for images and 0x00000801 for labels`,
      `Check that this is an IDX file of the MNIST family (not a PNG folder, CSV or CIFAR binary), or ${REDOWNLOAD.toLowerCase()}.`,
    );
  }
  const { type, bytes: elemBytes } = TYPE_CODES[bytes[2]];
  const ndims = bytes[3];
  const magic = ((bytes[2] << 8) | bytes[3]) >>> 0;
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new DatasetFileError(
      file,
      `truncated: the header declares ${plural(ndims, 'dimension')} (${headerBytes} header bytes) but the file holds only ${bytes.length} bytes`,
      `${REDOWNLOAD}.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) {
      throw new DatasetFileError(file, `dimension ${i + 1} of ${ndims} has size 0; an IDX file here must hold data`, `${REDOWNLOAD}.`);
    }
    dims.push(d);
    count *= d;
  }
  const expected = count * elemBytes;
  const actual = bytes.length - headerBytes;
  if (actual < expected) {
    throw new DatasetFileError(
      file,
      `truncated: header says ${describeContents(dims, type, elemBytes, expected)} (${expected} bytes) but the file holds ${actual} bytes of data`,
      `${REDOWNLOAD}.`,
    );
  }
  if (actual > expected) {
    throw new DatasetFileError(
      file,
      `${plural(actual - expected, 'extra byte')} after the data: header says ${describeContents(dims, type, elemBytes, expected)} ` +
        `(${expected} bytes) but the file holds ${actual} bytes of data`,
      `The file is corrupt or two files were joined; ${REDOWNLOAD.toLowerCase()}.`,
    );
  }
  return { magic, type, dims, data: bytes.subarray(headerBytes) };
}

/** Reads an IDX file, gzip-compressed or raw. */
export function readIdx(path: string): IdxFile {
  let raw: Uint8Array;
  try {
    if (statSync(path).isDirectory()) {
      throw new DatasetFileError(path, 'is a folder, not an IDX file', 'Pick the file itself (e.g. train-images-idx3-ubyte.gz).');
    }
    raw = readFileSync(path);
  } catch (e) {
    if (e instanceof DatasetFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetFileError(path, 'file not found', 'Check the path, or pick the file again.');
    if (code === 'EACCES' || code === 'EPERM') {
      throw new DatasetFileError(path, 'permission denied when reading the file', 'Make the file readable by your user account.');
    }
    throw new DatasetFileError(path, `cannot be read (${(e as Error).message})`, 'Check the path and the disk.');
  }
  const bytes = maybeGunzip(path, raw);
  return parseIdx(path, bytes, bytes === raw && /\.gz$/i.test(path));
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

  if (images.type !== 'uint8' || (images.dims.length !== 3 && images.dims.length !== 4)) {
    const swapped = images.type === 'uint8' && images.dims.length === 1;
    throw new DatasetFileError(
      imagesPath,
      `not an images file: expected uint8 values in 3 dimensions (magic 0x00000803: count × height × width), ` +
        `found ${images.type} in ${plural(images.dims.length, 'dimension')} (${images.dims.join('×')}, magic 0x${images.magic.toString(16).padStart(8, '0')})`,
      swapped ? 'This looks like a labels file; did you swap the images and labels files?' : 'Pick the images file of the pair (e.g. train-images-idx3-ubyte.gz).',
    );
  }
  if (labels.type !== 'uint8' || labels.dims.length !== 1) {
    const swapped = labels.type === 'uint8' && labels.dims.length === 3;
    throw new DatasetFileError(
      labelsPath,
      `not a labels file: expected uint8 values in 1 dimension (magic 0x00000801), ` +
        `found ${labels.type} in ${plural(labels.dims.length, 'dimension')} (${labels.dims.join('×')}, magic 0x${labels.magic.toString(16).padStart(8, '0')})`,
      swapped ? 'This looks like an images file; did you swap the images and labels files?' : 'Pick the labels file of the pair (e.g. train-labels-idx1-ubyte.gz).',
    );
  }
  const [count, height, width] = images.dims;
  const channels = images.dims.length === 4 ? images.dims[3] : 1;
  const labelCount = labels.dims[0];
  if (labelCount !== count) {
    throw new DatasetFileError(
      labelsPath,
      `holds ${plural(labelCount, 'label')} but the images file ${imagesPath} holds ${plural(count, 'image')}; the counts must be equal`,
      'Pick the labels file that belongs to these images (train with train, test with test).',
    );
  }

  let maxLabel = 0;
  for (let i = 0; i < labels.data.length; i++) if (labels.data[i] > maxLabel) maxLabel = labels.data[i];
  let classes = options.classes;
  if (classes === undefined) {
    classes = maxLabel + 1;
  } else {
    if (!Number.isInteger(classes) || classes < 1) throw new Error(`loadIdxPair: classes must be a positive integer; got ${classes}.`);
    if (maxLabel >= classes) {
      const at = labels.data.findIndex((v) => v >= classes!);
      throw new DatasetFileError(
        labelsPath,
        `label out of range: label ${labels.data[at]} at position ${at} but the dataset has ${classes} classes (labels 0..${classes - 1})`,
        'Set the number of classes to match the dataset, or pick the right labels file.',
      );
    }
  }

  return {
    images: images.data,
    labels: labels.data,
    count,
    height,
    width,
    channels,
    classes,
  };
}
