import { createHash } from 'node:crypto';
import type * as tf from '../tf';

/** SHA-256 over the exact bytes of every tensor, in the given (stable) order, with names and shapes. */
export function tensorChecksum(entries: Iterable<readonly [string, tf.Tensor]>): string {
  const h = createHash('sha256');
  for (const [name, t] of entries) {
    h.update(`${name}:${t.shape.join('x')};`);
    const data = t.dataSync() as Float32Array | Int32Array;
    h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest('hex');
}
