// NumPy's .npy format, the little of it an SPD dataset needs: float32/float64 arrays in C order, version 1–3
// headers (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html). The header is a Python
// dict literal of three keys; it is parsed here rather than pulling in a dependency for ~60 lines. Errors
// name the file and what is wrong with it, never its bytes.
import { DatasetFileError } from './errors';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const SAVE_AS_NPY = 'Save the array with numpy.save (float32 or float64).';

export interface NpyArray {
  shape: number[];
  /** The values in C order, widened to float64 (float32 inputs are exact in float64). */
  data: Float64Array;
  /** The file's element type. */
  dtype: 'float32' | 'float64';
}

interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  dataOffset: number;
}

function parseHeader(bytes: Buffer, file: string): NpyHeader {
  if (bytes.length < 10 || !bytes.subarray(0, 6).equals(MAGIC)) {
    throw new DatasetFileError(file, 'is not a NumPy .npy file (its first bytes are not \\x93NUMPY)', SAVE_AS_NPY);
  }
  const major = bytes[6];
  if (major < 1 || major > 3) throw new DatasetFileError(file, `uses .npy format version ${major}, which NAS Studio does not read (1 to 3)`, SAVE_AS_NPY);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new DatasetFileError(file, 'is truncated inside its .npy header', 'Copy the file again; it was cut short.');
  const headerLen = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = 8 + lenBytes;
  if (bytes.length < start + headerLen) throw new DatasetFileError(file, 'is truncated inside its .npy header', 'Copy the file again; it was cut short.');
  const text = bytes.subarray(start, start + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DatasetFileError(file, 'has a .npy header without descr, fortran_order and shape', SAVE_AS_NPY);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => (/^[0-9]+L?$/.test(s) ? Number.parseInt(s, 10) : Number.NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) throw new DatasetFileError(file, `has a .npy shape that is not a tuple of sizes: (${shapeText})`, SAVE_AS_NPY);
  return { descr, fortranOrder: fortran === 'True', shape, dataOffset: start + headerLen };
}

const DTYPES: Record<string, { dtype: 'float32' | 'float64'; bytes: number; little: boolean }> = {
  '<f4': { dtype: 'float32', bytes: 4, little: true },
  '>f4': { dtype: 'float32', bytes: 4, little: false },
  '<f8': { dtype: 'float64', bytes: 8, little: true },
  '>f8': { dtype: 'float64', bytes: 8, little: false },
};

/** Parses a whole .npy file held in memory. `file` is the path named in errors. */
export function parseNpy(bytes: Buffer, file: string): NpyArray {
  const header = parseHeader(bytes, file);
  const type = DTYPES[header.descr];
  if (!type) {
    throw new DatasetFileError(file, `holds values of dtype '${header.descr}'; SPD matrices must be float32 ('<f4') or float64 ('<f8')`, 'Convert with array.astype(numpy.float64) and save again.');
  }
  // A symmetric 2-D matrix reads the same either way; a stack does not, so Fortran order is refused outright.
  if (header.fortranOrder) {
    throw new DatasetFileError(file, 'is stored in Fortran (column-major) order', 'Save numpy.ascontiguousarray(array) instead, which is C order.');
  }
  const count = header.shape.reduce((a, b) => a * b, 1);
  const need = count * type.bytes;
  const have = bytes.length - header.dataOffset;
  if (have < need) {
    throw new DatasetFileError(
      file,
      `is truncated: its header declares shape (${header.shape.join(', ')}) of ${type.dtype}, ${need} bytes of data, but the file holds ${have}`,
      'Copy or save the file again; it was cut short.',
    );
  }
  if (have > need) {
    throw new DatasetFileError(file, `holds ${have - need} bytes after the ${need} bytes its header's shape (${header.shape.join(', ')}) declares`, 'Save the array again with numpy.save.');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, need);
  const data = new Float64Array(count);
  if (type.bytes === 4) for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, type.little);
  else for (let i = 0; i < count; i++) data[i] = view.getFloat64(i * 8, type.little);
  return { shape: header.shape, data, dtype: type.dtype };
}

/** A .npy file (version 1.0, C order, little-endian) of float32 or uint8 values: the app's own packed sets. */
export function npyBytes(shape: number[], data: Float32Array | Uint8Array): Buffer {
  const descr = data instanceof Float32Array ? '<f4' : '|u1';
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // The magic, version and length take 10 bytes; the header is padded with spaces to a multiple of 64, ending in \n.
  const padded = dict.padEnd(Math.ceil((10 + dict.length + 1) / 64) * 64 - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(padded.length, 8);
  return Buffer.concat([head, Buffer.from(padded, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** Reads one of the app's packed arrays back (float32 matrices or uint8 labels), without widening. */
export function parsePackedNpy(bytes: Buffer, file: string): { shape: number[]; data: Float32Array | Uint8Array } {
  const header = parseHeader(bytes, file);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const body = bytes.subarray(header.dataOffset);
  if (header.descr === '|u1' && body.length === count) return { shape: header.shape, data: Uint8Array.from(body) };
  if (header.descr === '<f4' && body.length === count * 4) {
    const out = new Float32Array(count);
    Buffer.from(out.buffer).set(body);
    return { shape: header.shape, data: out };
  }
  throw new DatasetFileError(file, `is not one of NAS Studio's packed arrays (dtype '${header.descr}', ${body.length} bytes for shape (${header.shape.join(', ')}))`, 'Delete the dataset and import it again.');
}
