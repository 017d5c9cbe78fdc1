import * as tf from '../engine/tf';
import type { Batch } from '../data/batcher';
import type { ForwardContext } from '../engine/layers';
import type { InstanasPath, PolicySnapshot } from '../../../shared/instanas';
import { MOBILENET_OPS, MOBILENET_OP_LABELS, policyKey, policyLatency } from '../../../shared/spaces/mobilenet';
import { policyMasks, type MobilenetMetaGraph } from '../spaces/mobilenet';
import { batchTensors, crossEntropy } from './one-shot';
import type { InstanasController } from './instanas-controller';
import { greedyPolicies, meanStd } from './instanas-policy';

// Inference of an InstaNAS model (ALGORITHMS.md §6): per instance m = [C(x) ≥ 0.5], then the meta-graph under m
// in eval mode; and the figures the result and the live view report on those policies.

const EVAL: ForwardContext = { training: false, bnUpdates: null };
const OPS = MOBILENET_OPS.length;

export interface GreedyEvaluation {
  count: number;
  accuracy: number;
  loss: number;
  /** Row-major policies, count × blocks × 5. */
  policies: Uint8Array;
  correct: Uint8Array;
  latencies: number[];
  /** Index of each instance in the evaluated set (the batcher's source indices). */
  indices: number[];
}

/** The greedy policy and prediction of every instance of `batches`. */
export function evaluateGreedy(graph: MobilenetMetaGraph, controller: InstanasController, batches: Iterable<Batch>, table: number[][]): GreedyEvaluation {
  const T = graph.blocks.length;
  const policies: Uint8Array[] = [];
  const correct: number[] = [];
  const latencies: number[] = [];
  const indices: number[] = [];
  let loss = 0;
  for (const b of batches) {
    tf.tidy(() => {
      const { x, y } = batchTensors(b);
      const n = b.y.length;
      const m = greedyPolicies(controller.probabilities(EVAL, x).dataSync() as Float32Array);
      const logits = graph.forwardMasked(EVAL, x, policyMasks(m, graph.blocks, n));
      loss += crossEntropy(logits, y).dataSync()[0] * n;
      const predicted = tf.argMax(logits, 1).dataSync();
      for (let i = 0; i < n; i++) {
        const p = m.subarray(i * T * OPS, (i + 1) * T * OPS);
        policies.push(p);
        correct.push(predicted[i] === b.y[i] ? 1 : 0);
        latencies.push(policyLatency(table, graph.blocks, p));
        indices.push(b.indices[i]);
      }
    });
  }
  const all = new Uint8Array(policies.length * T * OPS);
  policies.forEach((p, i) => all.set(p, i * T * OPS));
  const count = correct.length;
  return { count, accuracy: correct.reduce((a, c) => a + c, 0) / Math.max(count, 1), loss: loss / Math.max(count, 1), policies: all, correct: Uint8Array.from(correct), latencies, indices };
}

export function policyAt(e: GreedyEvaluation, i: number): Uint8Array {
  const width = e.policies.length / e.count;
  return e.policies.subarray(i * width, (i + 1) * width);
}

/** [block][op]: fraction of instances whose policy enables the op. */
export function opUsage(e: GreedyEvaluation, blocks: number): number[][] {
  const usage = Array.from({ length: blocks }, () => new Array<number>(OPS).fill(0));
  for (let i = 0; i < e.policies.length; i++) if (e.policies[i]) usage[Math.floor(i / OPS) % blocks][i % OPS] += 1;
  return usage.map((row) => row.map((c) => c / Math.max(e.count, 1)));
}

export function distinctPolicies(e: GreedyEvaluation): number {
  return new Set(Array.from({ length: e.count }, (_, i) => policyKey(policyAt(e, i)))).size;
}

export function policyDensity(e: GreedyEvaluation): number {
  return e.policies.reduce((a, b) => a + b, 0) / Math.max(e.policies.length, 1);
}

export function policySnapshot(e: GreedyEvaluation, blocks: number): PolicySnapshot {
  return { ops: [...MOBILENET_OP_LABELS], usage: opUsage(e, blocks), meanLatency: meanStd(e.latencies).mean, distinct: distinctPolicies(e) };
}

/** Equal-width bins over [min, max] of the latencies (one bin when they are all equal). */
export function latencyHistogram(latencies: readonly number[], bins = 20): { edges: number[]; counts: number[] } {
  if (latencies.length === 0) return { edges: [], counts: [] };
  const lo = Math.min(...latencies);
  const hi = Math.max(...latencies);
  const n = hi > lo ? bins : 1;
  const width = hi > lo ? (hi - lo) / n : 1;
  const edges = Array.from({ length: n + 1 }, (_, i) => lo + i * width);
  const counts = new Array<number>(n).fill(0);
  for (const v of latencies) counts[Math.min(n - 1, Math.floor((v - lo) / width))] += 1;
  return { edges, counts };
}

/** The `top` most used paths, cheapest first, each with up to `samples` instance indices. */
export function mostUsedPaths(e: GreedyEvaluation, top = 12, samples = 8): InstanasPath[] {
  const byKey = new Map<string, { latency: number; count: number; correct: number; samples: number[] }>();
  for (let i = 0; i < e.count; i++) {
    const key = policyKey(policyAt(e, i));
    const entry = byKey.get(key) ?? { latency: e.latencies[i], count: 0, correct: 0, samples: [] };
    entry.count += 1;
    entry.correct += e.correct[i];
    if (entry.samples.length < samples) entry.samples.push(e.indices[i]);
    byKey.set(key, entry);
  }
  return [...byKey]
    .sort((a, b) => b[1].count - a[1].count || a[1].latency - b[1].latency)
    .slice(0, top)
    .map(([policy, v]) => ({ policy, latency: v.latency, count: v.count, accuracy: v.correct / v.count, samples: v.samples }))
    .sort((a, b) => a.latency - b.latency);
}
