// The IDX header and the size rules shared by the whole-file reader (idx.ts, CLI and trainer) and the streamed
// import reader (idx-stream.ts). Errors name the file and never quote its bytes: a file picked by mistake
// (e.g. /etc/shadow) must not have its content echoed back.
import { DatasetFileError } from './errors';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export const TYPE_CODES: Record<number, { type: IdxType; bytes: number }> = {
  0x08: { type: 'uint8', bytes: 1 },
  0x09: { type: 'int8', bytes: 1 },
  0x0b: { type: 'int16', bytes: 2 },
  0x0c: { type: 'int32', bytes: 4 },
  0x0d: { type: 'float32', bytes: 4 },
  0x0e: { type: 'float64', bytes: 8 },
};

/**
 * The largest data part accepted (2 GiB): more than any MNIST-family set (EMNIST ByClass training images are
 * 547 MB), and it bounds what a header can make the app allocate.
 */
export const MAX_IDX_DATA_BYTES = 2 * 1024 ** 3;

export const REDOWNLOAD = 'Re-download the file';

export interface IdxHeader {
  /** The magic number as read (e.g. 0x00000803). */
  magic: number;
  type: IdxType;
  elemBytes: number;
  dims: number[];
  headerBytes: number;
  /** What the header declares: product of the dimensions × element size. */
  dataBytes: number;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function hexMagic(magic: number): string {
  return `0x${magic.toString(16).padStart(8, '0')}`;
}

/** What the header promises, in words: "60000 labels", "60000 images of 28×28". */
export function describeContents(h: Pick<IdxHeader, 'dims' | 'type' | 'elemBytes' | 'dataBytes'>): string {
  const { dims, type } = h;
  if (type === 'uint8' && dims.length === 1) return plural(dims[0], 'label');
  if (type === 'uint8' && dims.length === 3) return `${plural(dims[0], 'image')} of ${dims[1]}×${dims[2]}`;
  if (type === 'uint8' && dims.length === 4) return `${plural(dims[0], 'image')} of ${dims[1]}×${dims[2]}×${dims[3]}`;
  return `a ${dims.join('×')} array of ${type} (${h.dataBytes} bytes at ${h.elemBytes} per value)`;
}

/**
 * Reads the header from the first bytes of the (decompressed) data. Returns null while more bytes are needed
 * (`complete` says no more will come); throws when the bytes cannot be an IDX header.
 */
export function parseIdxHeader(file: string, bytes: Uint8Array, complete: boolean, gzipName = false): IdxHeader | null {
  if (complete && bytes.length === 0) {
    throw new DatasetFileError(file, 'the file is empty (0 bytes of data)', `${REDOWNLOAD}; the copy on disk holds nothing.`);
  }
  const prefixOk = (bytes.length < 1 || bytes[0] === 0) && (bytes.length < 2 || bytes[1] === 0) && (bytes.length < 3 || bytes[2] in TYPE_CODES) && (bytes.length < 4 || bytes[3] > 0);
  if (!prefixOk) {
    if (gzipName) {
      throw new DatasetFileError(
        file,
        'is not a gzip file although its name ends in .gz (gzip data starts with the bytes 1f 8b), nor an IDX file',
        `${REDOWNLOAD}; it may be an HTML error page or a partial download.`,
      );
    }
    throw new DatasetFileError(
      file,
      'is not an IDX file (bad magic number): an IDX file starts with 00 00, a type code (08 for uint8) and its number of dimensions, e.g. 0x00000803 for images and 0x00000801 for labels',
      `Check that this is an IDX file of the MNIST family (not a PNG folder, CSV or CIFAR binary), or ${REDOWNLOAD.toLowerCase()}.`,
    );
  }
  if (bytes.length < 4) {
    if (complete) throw new DatasetFileError(file, `too short to be an IDX file (${plural(bytes.length, 'byte')})`, `${REDOWNLOAD}.`);
    return null;
  }
  const { type, bytes: elemBytes } = TYPE_CODES[bytes[2]];
  const ndims = bytes[3];
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    if (!complete) return null;
    throw new DatasetFileError(
      file,
      `truncated: the header declares ${plural(ndims, 'dimension')} (${headerBytes} header bytes) but the file holds only ${bytes.length} bytes`,
      `${REDOWNLOAD}.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims: number[] = [];
  let dataBytes = elemBytes;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) throw new DatasetFileError(file, `dimension ${i + 1} of ${ndims} has size 0; an IDX file here must hold data`, `${REDOWNLOAD}.`);
    dims.push(d);
    dataBytes *= d;
  }
  const header: IdxHeader = { magic: ((bytes[2] << 8) | bytes[3]) >>> 0, type, elemBytes, dims, headerBytes, dataBytes };
  if (dataBytes > MAX_IDX_DATA_BYTES) {
    throw new DatasetFileError(
      file,
      `the header declares ${describeContents(header)}, ${(dataBytes / 1024 ** 3).toFixed(1)} GiB of data, more than the ${MAX_IDX_DATA_BYTES / 1024 ** 3} GiB NAS Studio loads`,
      'Check that this is the right file; use a smaller subset of the dataset.',
    );
  }
  return header;
}

/** Refuses data whose length differs from what the header declares. */
export function checkDataLength(file: string, h: IdxHeader, actual: number): void {
  if (actual < h.dataBytes) {
    throw new DatasetFileError(
      file,
      `truncated: header says ${describeContents(h)} (${h.dataBytes} bytes) but the file holds ${actual} bytes of data`,
      `${REDOWNLOAD}.`,
    );
  }
  if (actual > h.dataBytes) {
    throw new DatasetFileError(
      file,
      `${plural(actual - h.dataBytes, 'extra byte')} after the data: header says ${describeContents(h)} (${h.dataBytes} bytes) but the file holds ${actual} bytes of data`,
      `The file is corrupt or two files were joined; ${REDOWNLOAD.toLowerCase()}.`,
    );
  }
}

/** Stopped reading because the data goes on past what the header declares (e.g. a decompression bomb). */
export function tooMuchDataError(file: string, h: IdxHeader, gzip: boolean): DatasetFileError {
  return new DatasetFileError(
    file,
    `${gzip ? 'decompresses to' : 'holds'} more data than its header declares (${describeContents(h)}, ${h.dataBytes} bytes); reading stopped there`,
    `The file is corrupt or not what its header says; ${REDOWNLOAD.toLowerCase()}.`,
  );
}
