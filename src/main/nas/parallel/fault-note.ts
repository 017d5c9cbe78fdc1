// Where a worker of a gradient pool leaves its error for the main thread, which is blocked in a collective
// wait and cannot receive messages: a small shared area [writer rank + 1, byte length, UTF-8 text]. The first
// failing thread wins; the others only see the abort it triggers.

const HEADER_INTS = 2;
const TEXT_BYTES = 4096;

export function createFaultNote(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_INTS * 4 + TEXT_BYTES);
}

export function writeFault(sab: SharedArrayBuffer, rank: number, message: string): void {
  const header = new Int32Array(sab, 0, HEADER_INTS);
  if (Atomics.compareExchange(header, 0, 0, -1) !== 0) return; // someone else's error came first
  const text = new TextEncoder().encode(message).subarray(0, TEXT_BYTES);
  new Uint8Array(sab, HEADER_INTS * 4, TEXT_BYTES).set(text);
  Atomics.store(header, 1, text.length);
  Atomics.store(header, 0, rank + 1);
}

/** The first failure written, or null when no thread wrote one. */
export function readFault(sab: SharedArrayBuffer): { rank: number; message: string } | null {
  const header = new Int32Array(sab, 0, HEADER_INTS);
  const who = Atomics.load(header, 0);
  if (who <= 0) return null;
  const bytes = new Uint8Array(sab, HEADER_INTS * 4, Atomics.load(header, 1)).slice();
  return { rank: who - 1, message: new TextDecoder().decode(bytes) };
}
