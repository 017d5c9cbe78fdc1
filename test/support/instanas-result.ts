import type { InstanasResult } from '../../src/shared/instanas';

// A small, self-consistent InstaNAS result for store, API and renderer tests: a latency table of `blocks` × 5
// ops, per-instance policies drawn from a few paths, and the figures derived from them the way a run would
// report them (usage, histogram, paths cheapest first). Nothing here is a number a test compares against the
// same formula: tests read back what they stored, or check orderings and sums.

const OPS = ['IR k3 e6', 'IR k3 e3', 'IR k5 e6', 'IR k5 e3', 'basic'];

export function instanasResultFixture(blocks = 4, testIndices: number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]): InstanasResult {
  const table = Array.from({ length: blocks }, (_, t) => OPS.map((_, k) => 0.05 + 0.01 * t + 0.02 * k));
  const stageFirst = (t: number) => t === 0 || t === Math.floor(blocks / 2);
  const sum = (pick: (t: number) => number[]) => Array.from({ length: blocks }, (_, t) => pick(t).reduce((a, k) => a + table[t]![k]!, 0)).reduce((a, b) => a + b, 0);
  const latencyOf = (policy: string) => sum((t) => {
    const row = policy.slice(t * 5, t * 5 + 5);
    const on = [...row].flatMap((b, k) => (b === '1' ? [k] : []));
    return on.length ? on : stageFirst(t) ? [4] : [];
  });
  const policies = ['1'.repeat(5 * blocks), '10000'.repeat(blocks), '01000'.repeat(blocks), '00000'.repeat(blocks)];
  const counts = [2, 3, 3, 2];
  const paths = policies
    .map((policy, i) => ({ policy, latency: latencyOf(policy), count: counts[i]!, accuracy: [0.9, 0.8, 0.7, 0.5][i]!, samples: testIndices.slice(i * 2, i * 2 + 2) }))
    .sort((a, b) => a.latency - b.latency);
  const latencies = paths.flatMap((p) => Array<number>(p.count).fill(p.latency));
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  const std = Math.sqrt(latencies.reduce((a, b) => a + (b - mean) ** 2, 0) / latencies.length);
  const usage = Array.from({ length: blocks }, (_, t) =>
    OPS.map((_, k) => paths.reduce((a, p) => a + (p.policy[t * 5 + k] === '1' ? p.count : 0), 0) / latencies.length),
  );
  const lo = Math.min(...latencies);
  const hi = Math.max(...latencies);
  const edges = Array.from({ length: 5 }, (_, i) => lo + ((hi - lo) * i) / 4);
  const counted = edges.slice(0, -1).map((e, i) => latencies.filter((l) => l >= e && (i === 3 ? l <= hi : l < edges[i + 1]!)).length);
  return {
    latency: {
      unit: 'ms',
      backend: 'wasm',
      device: 'test CPU',
      blocks: Array.from({ length: blocks }, (_, t) => ({ index: t, stage: t < blocks / 2 ? 0 : 1, stageFirst: stageFirst(t), inChannels: 8, outChannels: 8, stride: 1, inputSize: 28 })),
      ops: OPS,
      table,
      baseline: sum(() => [0]),
      allOps: sum(() => [0, 1, 2, 3, 4]),
      min: sum((t) => (stageFirst(t) ? [4] : [])),
    },
    policy: { meanLatency: mean, stdLatency: std, measuredMean: mean * 1.3, measuredStd: std * 1.1, distinct: paths.length, density: usage.flat().reduce((a, b) => a + b, 0) / (5 * blocks) },
    testAccuracy: 0.74,
    baselineModel: { testAccuracy: 0.76, latency: sum(() => [0]), measuredLatency: sum(() => [0]) * 1.2, epochs: 3 },
    variants: ['A', 'B', 'C', 'D', 'E'].map((label, i) => ({
      label,
      epoch: 4 - i,
      valAccuracy: 0.8 - 0.05 * i,
      testAccuracy: 0.78 - 0.05 * i,
      meanLatency: mean * (1.4 - 0.2 * i),
      stdLatency: std,
      distinct: 4 - Math.min(i, 3),
      checkpoint: `variants/${label}`,
    })),
    usage,
    latencyHistogram: { edges, counts: counted },
    paths,
  };
}
