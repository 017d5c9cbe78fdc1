// How a batch is split between replicas: contiguous shards, the first (B mod N) replicas one sample larger
// (B = 9 on 2 threads: 5 then 4). Deterministic, so the same seed and thread count give the same run.

export interface Shard {
  start: number;
  size: number;
}

export function shardBatch(batch: number, threads: number): Shard[] {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a whole number ≥ 1; got ${threads}.`);
  if (batch < threads) {
    throw new Error(`A batch of ${batch} cannot be split across ${threads} training threads (each needs at least one sample): use threads ≤ ${batch} or a larger batch.`);
  }
  const base = Math.floor(batch / threads);
  const extra = batch % threads;
  const shards: Shard[] = [];
  let start = 0;
  for (let r = 0; r < threads; r++) {
    const size = base + (r < extra ? 1 : 0);
    shards.push({ start, size });
    start += size;
  }
  return shards;
}
