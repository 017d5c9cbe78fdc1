// Plain-language failure triage for training errors (PRODUCT.md: "out of memory → a smaller batch; NaN loss →
// a lower learning rate"). tfjs reports memory exhaustion in backend-specific words; we name the fix.

export interface TriagedError {
  message: string;
  hint: string | null;
}

const OUT_OF_MEMORY = /out of memory|memory access out of bounds|cannot allocate|allocation failed|got status 6|aborted\(/i;

export function isOutOfMemory(err: unknown): boolean {
  const message = String((err as Error)?.message ?? err);
  return OUT_OF_MEMORY.test(message) || /\bOOM\b/.test(message);
}

export function triageTrainingError(err: unknown, context: { batchSize: number; channels: number; backend?: string }): TriagedError {
  const e = err as Error & { hint?: string };
  if (isOutOfMemory(e)) {
    const where = context.backend === 'wasm' ? 'the WebAssembly backend’s memory (4 GB at most)' : 'memory';
    return {
      message: `Out of memory: the supernet does not fit in ${where} at batch ${context.batchSize} with C = ${context.channels} (engine said: ${firstLine(e.message)}).`,
      hint: `Lower the batch size (e.g. ${Math.max(2, Math.floor(context.batchSize / 2))}) or the channel count C, then start the run again; a native TensorFlow backend has no such limit.`,
    };
  }
  return { message: e?.message ?? String(err), hint: e?.hint ?? null };
}

function firstLine(s: string): string {
  const line = s.split('\n')[0];
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}
