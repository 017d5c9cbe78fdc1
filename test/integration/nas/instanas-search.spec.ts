/**
 * InstaNAS search end to end on real Fashion-MNIST demo images (tiny meta-graph: width 0.25, 7 blocks, 14×14
 * inputs): both phases and the baseline run, the live metrics of INSTANAS_METRICS and a policy snapshot per
 * search epoch are streamed, the result fits the shared contract with variants kept in the run folder and
 * exportable; and a run paused in every phase (pretraining, the controller pass, fine-tuning, the baseline)
 * and resumed in a fresh search, on differently initialised networks, ends bit-identical to the uninterrupted
 * run: every weight, BN statistic and optimiser moment, and every metric after the resume point.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/main/nas/engine/tf';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { loadCheckpoint } from '../../../src/main/nas/engine/checkpoint';
import type { ImageSet } from '../../../src/main/nas/data/image-set';
import { InstanasSearch } from '../../../src/main/nas/strategies/instanas';
import { MIN_WINDOW } from '../../../src/main/nas/strategies/instanas-policy';
import { instanasFinalResult } from '../../../src/main/nas/strategies/instanas-result';
import { exportInstanasVariant } from '../../../src/main/nas/strategies/instanas-export';
import { parseSearchConfig, type SearchConfig } from '../../../src/shared/config';
import { INSTANAS_METRICS, InstanasResultSchema, type InstanasLatency, type PolicySnapshot } from '../../../src/shared/instanas';
import type { TrainerEvent } from '../../../src/shared/events';
import { DEMO_NORMALIZATION, demoImages, differingKeys, snapshot } from '../../unit/nas/fixtures';

let dir = '';
let train: ImageSet;
let test: ImageSet;
let latency: InstanasLatency;

const config: SearchConfig = parseSearchConfig({
  dataset: 'demo',
  augment: false,
  batchSize: 16,
  seed: 3,
  space: { name: 'mobilenet', widthMult: 0.25, blocks: 7 },
  strategy: { name: 'instanas', pretrainEpochs: 2, epochs: 2, variants: 2, measureSamples: 4, posReward: 30 },
});

beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'instanas-spec-'));
  const all = demoImages(160);
  const pick = (from: number, to: number): ImageSet => {
    const size = all.height * all.width;
    return { ...all, images: all.images.slice(from * size, to * size), labels: all.labels.slice(from, to), count: to - from };
  };
  train = pick(0, 96); // 48 for the meta-graph, 48 for the controller: 3 + 3 steps per search epoch
  test = pick(96, 160);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function newSearch(tag: string): { search: InstanasSearch; events: TrainerEvent[] } {
  const events: TrainerEvent[] = [];
  const search = new InstanasSearch({
    config,
    data: { train, test, normalization: DEMO_NORMALIZATION },
    inputShape: [train.height, train.width, 1],
    environment: { backend: 'wasm', device: 'test' },
    emit: (e) => events.push(e),
    runDir: join(dir, tag),
    checkpointPath: (epoch, step, global) => join(dir, tag, 'checkpoints', `${String(global).padStart(6, '0')}-e${epoch}-s${step}.ckpt`),
    latency: latency ?? null,
  });
  return { search, events };
}

const never = { interrupt: () => null };
function pauseBefore(n: number) {
  let polls = 0;
  return { interrupt: () => (++polls === n ? ('pause' as const) : null) };
}
function everything(s: InstanasSearch) {
  return snapshot([...s.graph.params.trainable, ...s.graph.params.buffers, ...s.controller.params.trainable, ...s.controller.params.buffers, ...s.baseline.params.trainable, ...s.baseline.params.buffers].map(([k, v], i) => [`${i}:${k}`, v]));
}
const metricsTrace = (events: TrainerEvent[], fromStep: number) =>
  events.flatMap((e) => {
    if (e.type !== 'metrics' || e.step < fromStep) return [];
    const { epoch_seconds: _, ...values } = e.values;
    return [{ step: e.step, epoch: e.epoch, values }];
  });

describe('InstaNAS search', () => {
  let full: { search: InstanasSearch; events: TrainerEvent[] };
  /** The uninterrupted run's every value at its end (the result's variant walk loads other weights after). */
  let fullState: Map<string, Float32Array>;

  it('runs pretraining, the search and the baseline, streaming the live metrics and a policy snapshot per search epoch', async () => {
    full = newSearch('full');
    const outcome = await full.search.run(never);
    latency = full.search.state.latency!;
    fullState = everything(full.search);
    expect(outcome.status).toBe('completed');
    expect(full.search.state.phase).toBe('done');
    const names = new Set(full.events.flatMap((e) => (e.type === 'metrics' ? Object.keys(e.values) : [])));
    for (const m of Object.values(INSTANAS_METRICS)) expect(names, m).toContain(m);
    for (const m of ['train_loss', 'train_acc', 'val_acc', 'baseline_val_acc']) expect(names).toContain(m);
    const policies = full.events.filter((e): e is Extract<TrainerEvent, { type: 'snapshot' }> => e.type === 'snapshot' && e.kind === 'policy');
    expect(policies).toHaveLength(2);
    const snap = policies[0].payload as PolicySnapshot;
    expect(snap.usage).toHaveLength(7);
    expect(snap.usage.every((row) => row.length === 5 && row.every((u) => u >= 0 && u <= 1))).toBe(true);
    // The dynamic window: lb = min throughout, ub at the last search epoch = 0.5·baseline (§6).
    const ubs = full.events.flatMap((e) => (e.type === 'metrics' && e.values[INSTANAS_METRICS.windowHigh] !== undefined ? [e.values[INSTANAS_METRICS.windowHigh]] : []));
    expect(ubs).toHaveLength(2);
    expect(ubs[0]).toBeCloseTo(0.7 * latency.allOps, 9);
    // (A window never closes: ub stays MIN_WINDOW of the table's span above lb when 0.5·baseline falls below that.)
    const ubEnd = Math.max(0.5 * latency.baseline, latency.min + MIN_WINDOW * (latency.allOps - latency.min));
    expect(Math.abs(ubs[1] - ubEnd) / ubEnd).toBeLessThan(2e-6);
    const progress = full.events.filter((e): e is Extract<TrainerEvent, { type: 'progress' }> => e.type === 'progress');
    expect(progress.at(-1)!.epochs).toBe(2 * (2 + 2));
    expect(existsSync(join(dir, 'full', 'instanas', 'latency.json'))).toBe(true);
  });

  it('reports per-instance policies, the baseline and the variants on the test split, each variant exportable', async () => {
    const logs: string[] = [];
    const final = await instanasFinalResult(full.search, test, (m) => logs.push(m));
    const r = InstanasResultSchema.parse(final.result);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(r.policy.meanLatency).toBeGreaterThan(0);
    expect(r.policy.meanLatency).toBeLessThanOrEqual(r.latency.allOps);
    expect(r.policy.measuredMean).toBeGreaterThan(0);
    expect(r.baselineModel.latency).toBe(r.latency.baseline);
    expect(r.baselineModel.epochs).toBe(4);
    expect(r.variants.map((v) => v.label)).toEqual(['A', 'B']);
    expect(r.variants.map((v) => v.epoch).sort()).toEqual([0, 1]);
    for (let i = 1; i < r.variants.length; i++) expect(r.variants[i].meanLatency).toBeLessThanOrEqual(r.variants[i - 1].meanLatency);
    expect(r.paths.reduce((n, p) => n + p.count, 0)).toBeLessThanOrEqual(test.count);
    for (let i = 1; i < r.paths.length; i++) expect(r.paths[i].latency).toBeGreaterThanOrEqual(r.paths[i - 1].latency);
    for (const p of r.paths) for (const i of p.samples) expect(i).toBeLessThan(test.count);
    expect(r.latencyHistogram.counts.reduce((a, b) => a + b, 0)).toBe(test.count);

    const out = join(dir, 'export-a');
    const exported = exportInstanasVariant(join(dir, 'full'), r.variants[0].checkpoint, out, { label: 'A' });
    const model = JSON.parse(readFileSync(exported.model, 'utf8'));
    expect(model.format).toBe('nas-studio-instanas');
    expect(model.latency.table).toEqual(r.latency.table);
    expect(model.policyRule).toMatch(/≥ 0\.5/);
    // The TF.js weights manifest decodes back into the variant's tensors.
    const weightsBin = readFileSync(exported.weights);
    const decoded = tf.io.decodeWeights(weightsBin.buffer.slice(weightsBin.byteOffset, weightsBin.byteOffset + weightsBin.byteLength), model.weightsManifest[0].weights);
    const ckpt = loadCheckpoint(join(dir, 'full', r.variants[0].checkpoint));
    expect(Object.keys(decoded).sort()).toEqual([...ckpt.tensors.keys()].sort());
    const someName = [...ckpt.tensors.keys()].find((k) => k.startsWith('c/w/'))!;
    expect(Array.from(decoded[someName].dataSync())).toEqual(Array.from(ckpt.tensors.get(someName)!.data));
    tf.dispose(Object.values(decoded));
    expect(() => exportInstanasVariant(join(dir, 'nothing-here'), 'x.ckpt', out)).toThrow(/no InstaNAS search/);
  });

  it('resumes bit for bit from pauses in pretraining, the controller pass, fine-tuning and the baseline', async () => {
    // 3 steps per pretraining epoch, 6 per search epoch (3 controller + 3 fine-tuning), 3 per baseline epoch.
    for (const pausePoll of [2, 8, 11, 22]) {
      const tag = `paused-${pausePoll}`;
      const first = newSearch(tag);
      expect((await first.search.run(pauseBefore(pausePoll))).status).toBe('paused');
      const ckpts = first.events.filter((e): e is Extract<TrainerEvent, { type: 'checkpoint' }> => e.type === 'checkpoint');
      const resumeStep = first.search.state.globalStep;
      first.search.dispose();
      // Every weight and statistic moved off its initial value first: every value must come from the file.
      const second = newSearch(`${tag}-resumed`);
      for (const p of [second.search.graph.params, second.search.controller.params, second.search.baseline.params]) {
        for (const v of [...p.trainable.values(), ...p.buffers.values()]) tf.tidy(() => v.assign(tf.add(v, 1)));
      }
      second.search.restore(ckpts.at(-1)!.path);
      expect((await second.search.run(never)).status).toBe('completed');
      expect(differingKeys(everything(second.search), fullState), `pause before poll ${pausePoll}`).toEqual([]);
      expect(metricsTrace(second.events, resumeStep + 1)).toEqual(metricsTrace(full.events, resumeStep + 1));
      second.search.dispose();
    }
  });
});
