import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

// Real SPD data files for the import tests. The .npy bytes are spelled out here from NumPy's format
// description (magic, version, little-endian header length, a dict padded to 64 bytes), not with the app's
// own writer, so the reader is tested against the format rather than against itself.

export function npyFile(path: string, shape: number[], values: ArrayLike<number>, dtype: '<f4' | '<f8' | '>f8' = '<f8'): string {
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = Buffer.alloc(total, 0x20);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(header, 0);
  header.writeUInt16LE(total - 10, 8);
  header.write(dict, 10, 'latin1');
  header[total - 1] = 0x0a;
  const size = dtype === '<f4' ? 4 : 8;
  const body = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    if (dtype === '<f4') body.writeFloatLE(values[i], i * 4);
    else if (dtype === '<f8') body.writeDoubleLE(values[i], i * 8);
    else body.writeDoubleBE(values[i], i * 8);
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, Buffer.concat([header, body]));
  return path;
}

export function csvFile(path: string, rows: number[][]): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, rows.map((r) => r.join(',')).join('\n') + '\n');
  return path;
}

/** A small deterministic generator (xorshift), so fixtures are the same on every run. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 2 - 1;
  };
}

/** A random SPD matrix A·Aᵀ + shift·I (row-major, float64), exactly symmetric. */
export function spdMatrix(n: number, rand: () => number, shift = 0.5): number[] {
  const a = Array.from({ length: n * n }, rand);
  const m = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * a[j * n + k];
      m[i * n + j] = m[j * n + i] = s + (i === j ? shift : 0);
    }
  }
  return m;
}

export function toRows(m: number[], n: number): number[][] {
  return Array.from({ length: n }, (_, i) => m.slice(i * n, (i + 1) * n));
}
