/**
 * Exact resume of a DARTS search on real Fashion-MNIST demo images (tiny NB201 supernet): a run paused
 * mid-epoch, checkpointed and continued in a new DartsSearch instance (on a network initialised differently,
 * so every value must come from the file) ends bit-identical to the uninterrupted run: α, every weight, BN
 * buffers, optimiser state (via the final checkpoint's checksum) and every metric emitted after the resume
 * point. The same from an epoch-boundary checkpoint. A resume from the final (or a mid-epoch) checkpoint reports
 * the accuracies of the last finished epoch. Damaged checkpoint files are refused with a clear error.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { Rng, hashSeed } from '../../../src/main/nas/engine/rng';
import type { Supernet } from '../../../src/main/nas/engine/supernet';
import { buildDartsSupernet } from '../../../src/main/nas/spaces/darts';
import { buildNb201Supernet } from '../../../src/main/nas/spaces/nb201';
import { DartsSearch, type DartsConfig, type DartsOutcome, type SearchControl } from '../../../src/main/nas/strategies/darts';
import type { TrainerEvent } from '../../../src/shared/events';
import type { ImageSet } from '../../../src/main/nas/data/image-set';
import { DEMO_NORMALIZATION, demoImages, differingKeys, snapshot, testConfig } from '../../unit/nas/fixtures';

let dir = '';
let set: ImageSet;
const config: DartsConfig = testConfig({ epochs: 3, batchSize: 8, seed: 5 });

beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'resume-spec-'));
  set = demoImages(64); // 32 train / 32 val images → 4 steps per epoch
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function net(initSeed: number): Supernet {
  return buildNb201Supernet(
    { channels: 4, cellsPerStage: 1, stages: 1, inputShape: [set.height, set.width, 1], classes: set.classes },
    new Rng(hashSeed(initSeed, 1)),
  );
}

interface Run {
  search: DartsSearch;
  events: TrainerEvent[];
}
function newSearch(tag: string, initSeed = config.seed): Run {
  const events: TrainerEvent[] = [];
  const search = new DartsSearch(config, net(initSeed), { train: set, normalization: DEMO_NORMALIZATION }, (e) => events.push(e), (epoch, step) =>
    join(dir, tag, `epoch-${epoch}-step-${step}.ckpt`),
  );
  return { search, events };
}

const never: SearchControl = { interrupt: () => null };
/** Pauses when polled before step `n` (1-based global count of polls), i.e. after n − 1 steps. */
function pauseBefore(n: number): SearchControl {
  let polls = 0;
  return { interrupt: () => (++polls === n ? 'pause' : null) };
}

type TraceEntry =
  | { type: 'metrics'; step: number; epoch: number; values: Record<string, number> }
  | { type: 'snapshot'; epoch: number; payload: unknown };
/** Metrics (without wall-clock timings) and α snapshots: what a resumed run must reproduce. */
function trace(events: TrainerEvent[]): TraceEntry[] {
  return events.flatMap((e): TraceEntry[] => {
    if (e.type === 'metrics') {
      const { epoch_seconds: _, ...values } = e.values;
      return [{ type: 'metrics', step: e.step, epoch: e.epoch, values }];
    }
    if (e.type === 'snapshot') return [{ type: 'snapshot', epoch: e.epoch, payload: e.payload }];
    return [];
  });
}
function state(s: DartsSearch) {
  return { alpha: snapshot(s.net.alphas), weights: snapshot(s.net.params.trainable), buffers: snapshot(s.net.params.buffers) };
}
const checkpoints = (events: TrainerEvent[]) => events.filter((e): e is Extract<TrainerEvent, { type: 'checkpoint' }> => e.type === 'checkpoint');
/** Trace entries at or after global step `from` (epoch-level metrics carry the epoch's last step). */
const fromStep = (t: TraceEntry[], firstStep: number, firstEpoch: number) =>
  t.filter((e) => (e.type === 'metrics' ? e.step >= firstStep : e.epoch >= firstEpoch));

let reference: { run: Run; trace: TraceEntry[]; final: ReturnType<typeof state>; outcome: DartsOutcome };

describe('exact resume', () => {
  it('the uninterrupted run completes 3 epochs and checkpoints each epoch boundary', async () => {
    const run = newSearch('A');
    const outcome = await run.search.run(never);
    expect(outcome.status).toBe('completed');
    expect(outcome.epochsDone).toBe(3);
    expect(run.search.stepsPerEpoch).toBe(4);
    const stepMetrics = run.events.filter((e) => e.type === 'metrics' && 'train_loss' in e.values);
    expect(stepMetrics.length).toBe(12);
    expect(checkpoints(run.events).map((c) => c.path)).toEqual([1, 2, 3].map((e) => join(dir, 'A', `epoch-${e}-step-0.ckpt`)));
    reference = { run, trace: trace(run.events), final: state(run.search), outcome };
    // The run did something: α left its initialisation.
    expect(differingKeys(reference.final.alpha, snapshot(net(config.seed).alphas))).toEqual(['cell']);
  });

  it('pause mid-epoch 2 → checkpoint → new instance restored from it → continue: bit-identical to the uninterrupted run', async () => {
    expect(reference).toBeDefined();
    const first = newSearch('B');
    // 4 steps of epoch 1 and 2 of epoch 2, then pause before the 7th step.
    const paused = await first.search.run(pauseBefore(7));
    expect(paused.status).toBe('paused');
    const pauseCkpt = checkpoints(first.events).at(-1)!;
    expect(pauseCkpt.path).toBe(join(dir, 'B', 'epoch-1-step-2.ckpt'));
    expect(statSync(pauseCkpt.path).size).toBe(pauseCkpt.size);
    // Up to the pause, B emitted exactly what A did.
    const bTrace = trace(first.events);
    expect(bTrace).toEqual(reference.trace.slice(0, bTrace.length));
    first.search.dispose();

    // A fresh network with a different initialisation: everything must come from the checkpoint.
    const second = newSearch('B2', 999);
    expect(differingKeys(state(second.search).weights, reference.final.weights).length).toBe(reference.final.weights.size);
    second.search.restore(pauseCkpt.path);
    expect(second.search.epoch).toBe(1);
    const done = await second.search.run(never);
    expect(done.status).toBe('completed');
    expect(done.epochsDone).toBe(3);

    const resumed = trace(second.events);
    expect(resumed[0]).toMatchObject({ type: 'metrics', step: 7, epoch: 1 });
    expect(resumed).toEqual(fromStep(reference.trace, 7, 1));
    // Epoch 2's summary combines steps from before and after the pause (the accumulator was checkpointed).
    expect(resumed.find((e) => e.type === 'metrics' && 'epoch_train_loss' in e.values)).toBeDefined();

    const final = state(second.search);
    expect(differingKeys(final.alpha, reference.final.alpha)).toEqual([]);
    expect(differingKeys(final.weights, reference.final.weights)).toEqual([]);
    expect(differingKeys(final.buffers, reference.final.buffers)).toEqual([]);
    expect(final.buffers.size).toBeGreaterThan(0);
    // The final checkpoints hold the same bytes: SGD momentum, Adam moments and step, batcher and epoch state.
    expect(checkpoints(second.events).at(-1)!.checksum).toBe(checkpoints(reference.run.events).at(-1)!.checksum);
    second.search.dispose();
  });

  it('resuming from an epoch-boundary checkpoint is bit-identical too', async () => {
    const boundary = join(dir, 'A', 'epoch-1-step-0.ckpt');
    const run = newSearch('C', 4242);
    run.search.restore(boundary);
    expect(run.search.epoch).toBe(1);
    const done = await run.search.run(never);
    expect(done.status).toBe('completed');
    const resumed = trace(run.events);
    expect(resumed[0]).toMatchObject({ type: 'metrics', step: 5, epoch: 1 });
    expect(resumed).toEqual(fromStep(reference.trace, 5, 1));
    const final = state(run.search);
    expect(differingKeys(final.alpha, reference.final.alpha)).toEqual([]);
    expect(differingKeys(final.weights, reference.final.weights)).toEqual([]);
    expect(differingKeys(final.buffers, reference.final.buffers)).toEqual([]);
    expect(checkpoints(run.events).at(-1)!.checksum).toBe(checkpoints(reference.run.events).at(-1)!.checksum);
    run.search.dispose();
  });
});

describe('accuracies after a resume', () => {
  /** The epoch summaries (train and val accuracy) the uninterrupted run emitted, in order. */
  const summaries = () =>
    reference.run.events.flatMap((e) => (e.type === 'metrics' && 'val_acc' in e.values ? [{ train: e.values.epoch_train_acc, val: e.values.val_acc }] : []));

  it('a resume from the final checkpoint reports the last epoch\'s train and val accuracy, not 0', async () => {
    expect(reference).toBeDefined();
    const run = newSearch('D', 77);
    run.search.restore(join(dir, 'A', 'epoch-3-step-0.ckpt'));
    expect(run.search.epoch).toBe(3);
    const done = await run.search.run(never);
    expect(done.status).toBe('completed');
    // Nothing was left to train: no step ran, yet the outcome carries the run's real accuracies.
    expect(run.events.filter((e) => e.type === 'metrics')).toEqual([]);
    const last = summaries().at(-1)!;
    expect(last.train).toBeGreaterThan(0);
    expect(last.val).toBeGreaterThan(0);
    expect({ train: done.trainAccuracy, val: done.valAccuracy }).toEqual(last);
    expect({ train: done.trainAccuracy, val: done.valAccuracy }).toEqual({ train: reference.outcome.trainAccuracy, val: reference.outcome.valAccuracy });
    run.search.dispose();
  });

  it('a mid-epoch checkpoint carries the previous epoch\'s accuracies (pausing again at once reports them)', async () => {
    const run = newSearch('E', 78);
    run.search.restore(join(dir, 'B', 'epoch-1-step-2.ckpt'));
    const paused = await run.search.run(pauseBefore(1));
    expect(paused.status).toBe('paused');
    expect({ train: paused.trainAccuracy, val: paused.valAccuracy }).toEqual(summaries()[0]);
    run.search.dispose();
  });
});

describe('damaged checkpoints', () => {
  const source = () => join(dir, 'A', 'epoch-1-step-0.ckpt');
  function damaged(name: string, damage: (path: string) => void): string {
    const p = join(dir, name);
    copyFileSync(source(), p);
    damage(p);
    return p;
  }
  function restoreError(path: string): Error {
    const run = newSearch('X');
    try {
      run.search.restore(path);
    } catch (e) {
      return e as Error;
    } finally {
      run.search.dispose();
    }
    throw new Error(`restoring ${path} did not fail`);
  }

  it('a truncated file names the file and says it is truncated', () => {
    const size = statSync(source()).size;
    for (const [name, keep] of [
      ['cut-1-byte.ckpt', size - 1],
      ['cut-half.ckpt', Math.floor(size * 0.6)],
    ] as const) {
      const p = damaged(name, (path) => truncateSync(path, keep));
      expect(restoreError(p).message).toMatch(new RegExp(`Checkpoint ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is truncated \\(tensor '.+' is incomplete\\)`));
    }
  });

  it('a flipped bit in the tensor data is caught by the checksum, not resumed as garbage', () => {
    const flipped = damaged('flipped.ckpt', (path) => {
      const buf = readFileSync(path);
      buf[buf.length - 3] ^= 0x10; // inside the last tensor's float32 data
      writeFileSync(path, buf);
    });
    expect(restoreError(flipped).message).toMatch(/flipped\.ckpt is corrupt \(its data does not match its checksum\)/);
  });

  it('a file cut inside its header, or with a garbled header, is reported as corrupt', () => {
    const cut = damaged('cut-header.ckpt', (path) => truncateSync(path, 40));
    expect(restoreError(cut).message).toMatch(/is corrupt \(unreadable header\)|is truncated/);
    const garbled = damaged('garbled.ckpt', (path) => {
      const buf = readFileSync(path);
      buf[12] = 'X'.charCodeAt(0); // the header's opening brace
      writeFileSync(path, buf);
    });
    expect(restoreError(garbled).message).toMatch(/Checkpoint .*garbled\.ckpt is corrupt \(unreadable header\)/);
  });

  it('an empty file, a foreign file and a missing file are refused with what to do', () => {
    const empty = damaged('empty.ckpt', (path) => writeFileSync(path, ''));
    expect(restoreError(empty).message).toMatch(/empty\.ckpt is not a NAS Studio checkpoint \(bad magic\)\. Resume from an earlier checkpoint or restart the run\./);
    const foreign = damaged('foreign.ckpt', (path) => writeFileSync(path, '{"not": "a checkpoint"} plus some more bytes'));
    expect(restoreError(foreign).message).toMatch(/not a NAS Studio checkpoint/);
    expect(restoreError(join(dir, 'nope.ckpt')).message).toMatch(/Cannot read checkpoint .*nope\.ckpt/);
  });

  it('a checkpoint of a different model configuration is refused (shape mismatch, missing tensors)', async () => {
    async function checkpointOf(name: string, model: Supernet): Promise<string> {
      const path = join(dir, name);
      const other = new DartsSearch(config, model, { train: set, normalization: DEMO_NORMALIZATION }, () => {}, () => path);
      await other.saveCheckpoint();
      other.dispose();
      return path;
    }
    const input = [set.height, set.width, 1] as const;
    const darts = await checkpointOf('darts.ckpt', buildDartsSupernet({ channels: 2, layers: 1, inputShape: input, classes: 10, ops: ['none', 'skip_connect'] }, new Rng(1)));
    expect(restoreError(darts).message).toMatch(/Checkpoint shape mismatch for 'w\/stem\.conv': 3×3×1×6 in the file, 3×3×1×4 in the model\./);
    // Same stem and cell, but the resuming model has a second stage the file knows nothing about.
    const smaller = await checkpointOf('small.ckpt', net(1));
    const twoStage = new DartsSearch(
      config,
      buildNb201Supernet({ channels: 4, cellsPerStage: 1, stages: 2, inputShape: input, classes: 10 }, new Rng(2)),
      { train: set, normalization: DEMO_NORMALIZATION },
      () => {},
      () => join(dir, 'unused.ckpt'),
    );
    expect(() => twoStage.restore(smaller)).toThrow(/The checkpoint has no value for 'w\/stage1\..+': it was written by a different model configuration\./);
    twoStage.dispose();
  });
});
