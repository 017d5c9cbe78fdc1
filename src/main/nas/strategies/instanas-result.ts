import * as tf from '../engine/tf';
import type { InstanasResult, InstanasVariant } from '../../../shared/instanas';
import { Batcher } from '../data/batcher';
import type { ImageSet } from '../data/image-set';
import { measurePolicyLatency, medianTime } from '../estimation/instanas-latency';
import { instanasGenotype, type InstanasGenotype } from '../spaces/mobilenet-architecture';
import { evaluate } from './one-shot';
import { distinctPolicies, evaluateGreedy, latencyHistogram, mostUsedPaths, opUsage, policyAt, policyDensity } from './instanas-evaluation';
import { meanStd } from './instanas-policy';
import type { InstanasSearch } from './instanas';

// The figures an InstaNAS run reports when it ends (ALGORITHMS.md §6, inference): every test image's greedy
// policy and prediction under the final weights, the measured latency of a sample of their sub-networks, the
// baseline trained under the same budget, and each kept variant re-evaluated on the test split. Instance
// indices are positions in the dataset's test split as loaded (file order).

export interface InstanasFinal {
  result: InstanasResult;
  genotype: InstanasGenotype;
  /** Final test accuracy of the searched model (greedy policies). */
  testAccuracy: number;
}

/** `count` indices spread evenly over 0..n−1. */
function spread(n: number, count: number): number[] {
  const k = Math.min(n, count);
  return Array.from({ length: k }, (_, j) => Math.floor((j * n) / k));
}

export async function instanasFinalResult(search: InstanasSearch, test: ImageSet, report: (message: string) => void): Promise<InstanasFinal> {
  const latency = search.state.latency;
  if (!latency) throw new Error('The InstaNAS search has no latency table: it never started.');
  const T = search.graph.blocks.length;
  report(`Evaluating per-instance policies on ${test.count} test images…`);
  const final = evaluateGreedy(search.graph, search.controller, search.evalBatches(test), latency.table);
  const lookedUp = meanStd(final.latencies);
  const usage = opUsage(final, T);

  // Measured latency: the sub-network of each sampled instance's policy, run on that image at batch 1.
  const single = new Batcher(test, { ...search.evalBatchOptions, batchSize: 1 });
  const image = (i: number) => {
    const b = single.batchAt(0, i);
    return tf.tensor4d(b.x, b.shape);
  };
  const measured: number[] = [];
  for (const i of spread(final.count, search.options.measureSamples)) {
    const x = image(i);
    measured.push(await measurePolicyLatency(search.graph, x, policyAt(final, i)));
    x.dispose();
  }
  const measuredStats = measured.length ? meanStd(measured) : null;

  const baselineTest = evaluate(search.baseline, search.evalBatches(test));
  const x0 = image(0);
  const baselineMeasured = await medianTime(() => search.baseline.forward({ training: false, bnUpdates: null }, x0), 5);
  x0.dispose();

  report(`Evaluating ${search.state.variants.length} variant${search.state.variants.length === 1 ? '' : 's'} on the test images…`);
  const evaluated = search.state.variants.map((v) => {
    search.loadVariant(v.checkpoint);
    const e = evaluateGreedy(search.graph, search.controller, search.evalBatches(test), latency.table);
    const s = meanStd(e.latencies);
    return { epoch: v.epoch, valAccuracy: v.valAccuracy, testAccuracy: e.accuracy, meanLatency: s.mean, stdLatency: s.std, distinct: distinctPolicies(e), checkpoint: v.checkpoint };
  });
  // A = the slowest (and, on the paper's curve, most accurate) … E = the fastest.
  const variants: InstanasVariant[] = evaluated
    .sort((a, b) => b.meanLatency - a.meanLatency || a.epoch - b.epoch)
    .map((v, i) => ({ label: String.fromCharCode(65 + i), ...v }));

  const paths = mostUsedPaths(final);
  const mostUsed = [...paths].sort((a, b) => b.count - a.count)[0]?.policy;
  const result: InstanasResult = {
    latency,
    policy: {
      meanLatency: lookedUp.mean,
      stdLatency: lookedUp.std,
      measuredMean: measuredStats?.mean ?? null,
      measuredStd: measuredStats?.std ?? null,
      distinct: distinctPolicies(final),
      density: policyDensity(final),
    },
    testAccuracy: final.accuracy,
    baselineModel: { testAccuracy: baselineTest.accuracy, latency: latency.baseline, measuredLatency: baselineMeasured, epochs: search.options.pretrainEpochs + search.options.epochs },
    variants,
    usage,
    latencyHistogram: latencyHistogram(final.latencies),
    paths,
  };
  return { result, genotype: instanasGenotype(usage, mostUsed), testAccuracy: final.accuracy };
}
