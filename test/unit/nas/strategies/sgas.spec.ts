import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/nas/engine/backend';
import { Rng, hashSeed } from '../../../../src/main/nas/engine/rng';
import * as tf from '../../../../src/main/nas/engine/tf';
import { checkpointFile } from '../../../../src/main/nas/job';
import { spaceImplementation } from '../../../../src/main/nas/spaces/registry';
import { alphaWeights } from '../../../../src/main/nas/strategies/one-shot';
import { createStrategy, type SearchStrategy } from '../../../../src/main/nas/strategies/registry';
import { parseSearchConfig, type SearchConfig } from '../../../../src/shared/config';
import type { Decision, TrainerEvent } from '../../../../src/shared/events';
import type { ImageSet } from '../../../../src/main/nas/data/image-set';
import { DEMO_NORMALIZATION, demoImages, differingKeys, snapshot } from '../fixtures';

// SGAS and SGAS-es as whole strategies on tiny real supernets (ALGORITHMS.md §3, §4, §9): the decision
// schedule, frozen decided α, pruning to two inputs per node, and SGAS-es's rollback restoring everything.

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'nas-sgas-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Demo images zero-padded from 14×14 to 16×16: NAS-Bench-201's two residual reductions need a multiple of 4. */
function demo16(count: number): ImageSet {
  const s = demoImages(count);
  const images = new Uint8Array(s.count * 16 * 16);
  for (let n = 0; n < s.count; n++) {
    for (let y = 0; y < 14; y++) images.set(s.images.subarray(n * 196 + y * 14, n * 196 + y * 14 + 14), n * 256 + (y + 1) * 16 + 1);
  }
  return { ...s, images, height: 16, width: 16 };
}

function build(config: SearchConfig, runDir: string, events: TrainerEvent[], onEvent?: (e: TrainerEvent, s: SearchStrategy) => void) {
  const train = config.space.name === 'nb201' ? demo16(120) : demoImages(80);
  const space = spaceImplementation(config.space);
  const net = space.build(config.space, [train.height, train.width, train.channels], train.classes, new Rng(hashSeed(config.seed, 1)));
  let strategy: SearchStrategy | null = null;
  strategy = createStrategy({
    config,
    net,
    space,
    data: { train, normalization: DEMO_NORMALIZATION },
    emit: (e) => {
      events.push(e);
      onEvent?.(e, strategy!);
    },
    runDir,
    recompute: false,
    checkpointPath: (epoch, step, globalStep) => checkpointFile(runDir, epoch, step, globalStep),
  });
  return { strategy, net };
}

const decisionsOf = (events: TrainerEvent[]) => events.flatMap((e) => (e.type === 'decision' ? [e.decision] : []));

describe('SGAS in the DARTS space', () => {
  it('decides one edge per cell type at each scheduled epoch, freezes it, and ends with 2 non-none inputs per node', async () => {
    const config = parseSearchConfig({
      dataset: 'demo',
      augment: false,
      batchSize: 16,
      seed: 3,
      space: { name: 'darts', channels: 4, cells: 3, nodes: 2 },
      strategy: { name: 'sgas', criterion: 2, warmup: 1, decisionFreq: 1, finalEpochs: 1, batchIncrease: 8 },
    });
    const events: TrainerEvent[] = [];
    const frozenRows: Array<{ key: string; edge: number; row: number[] }> = [];
    let violations = 0;
    const { strategy, net } = build(config, join(dir, 'sgas'), events, (e) => {
      if (e.type === 'decision') frozenRows.push({ key: e.decision.cellType, edge: e.decision.edge, row: [] });
      if (e.type === 'snapshot' && e.kind === 'alpha') {
        // Every decided α row stays exactly what it was when it was decided.
        for (const f of frozenRows) {
          const row = Array.from((net.alphas.get(f.key)!.arraySync() as number[][])[f.edge]);
          if (f.row.length === 0) f.row = row;
          else if (row.some((v, i) => v !== f.row[i])) violations += 1;
        }
      }
    });
    const outcome = await strategy.run({ interrupt: () => null });
    strategy.dispose();

    // nodes = 2 → 2 decisions per node → 4 per cell type; epochs = 1 + 1·3 + 1 + 1 = 6.
    expect(outcome.status).toBe('completed');
    expect(outcome.epochsDone).toBe(6);
    const decisions = decisionsOf(events);
    const byEpoch = new Map<number, Decision[]>();
    for (const d of decisions) byEpoch.set(d.epoch, [...(byEpoch.get(d.epoch) ?? []), d]);
    expect([...byEpoch.keys()]).toEqual([1, 2, 3, 4]);
    for (const ds of byEpoch.values()) expect(ds.map((d) => d.cellType).sort()).toEqual(['normal', 'reduce']);
    // Decided edges are never decided again, and never 'none'.
    for (const cell of ['normal', 'reduce']) {
      const edges = decisions.filter((d) => d.cellType === cell).map((d) => d.edge);
      expect(new Set(edges).size).toBe(edges.length);
    }
    expect(decisions.every((d) => d.op !== 'none')).toBe(true);
    expect(violations).toBe(0);

    const arch = spaceImplementation(config.space).fromSelection(config.space, outcome.selection!, outcome.ops);
    const genotype = arch.genotype as { normal: [string, number][]; reduce: [string, number][] };
    for (const cell of [genotype.normal, genotype.reduce]) {
      expect(cell).toHaveLength(4);
      expect(cell.every(([op]) => op !== 'none')).toBe(true);
      // Node 0 reads states 0–1, node 1 states 0–2: two distinct inputs each.
      const node0 = cell.slice(0, 2).map(([, s]) => s);
      const node1 = cell.slice(2).map(([, s]) => s);
      expect(new Set(node0).size).toBe(2);
      expect(new Set(node1).size).toBe(2);
    }
    // Batch growth: 16, then +8 per decision, capped at the 40 images of a split.
    const steps = events.flatMap((e) => (e.type === 'progress' && e.step === 1 ? [e.stepsPerEpoch] : []));
    expect(steps).toEqual([3, 3, 2, 2, 1, 1]);
  });
});

describe('SGAS-es rollback', () => {
  it('restores weights, BN buffers, α, optimiser moments, data order and the schedule bit for bit, and keeps counting wall steps', async () => {
    const config = parseSearchConfig({
      dataset: 'demo',
      augment: false,
      batchSize: 16,
      seed: 5,
      space: { name: 'nb201', channels: 4, cells: 1 },
      strategy: { name: 'sgas-es', decisionFreq: 10, hessianIters: 3 },
    });
    const events: TrainerEvent[] = [];
    let atEpoch0: { tensors: Map<string, Float32Array>; state: unknown; lr: number; masks: unknown } | null = null;
    const internals = (s: SearchStrategy) =>
      s as unknown as {
        checkpointTensors(): Map<string, tf.Variable>;
        state: { epoch: number; globalStep: number; wallEpoch?: number; train: unknown; val: unknown };
        adam: { stateJson(): unknown };
        lr(): number;
        rollBack(epoch: number): void;
        s: unknown;
      };
    let trainedEpochs = 0;
    const { strategy } = build(config, join(dir, 'es'), events, (e, s) => {
      // The eigenvalue comes right after the epoch's rollback point is written, and λ_max leaves α exactly as
      // it found it: this is the state checkpoint[0] holds.
      if (e.type === 'eigenvalue' && e.eigenvalue.epoch === 0) {
        const x = internals(s);
        atEpoch0 = {
          tensors: snapshot(x.checkpointTensors()),
          state: structuredClone({ epoch: x.state.epoch, train: x.state.train, val: x.state.val, adam: x.adam.stateJson() }),
          lr: x.lr(),
          masks: structuredClone(x.s),
        };
      }
      if (e.type === 'eigenvalue') trainedEpochs = e.eigenvalue.epoch + 1;
    });
    // Train epochs 0, 1 and 2, then stop.
    const outcome = await strategy.run({ interrupt: () => (trainedEpochs >= 3 ? 'stop' : null) });
    expect(outcome.status).toBe('stopped');
    const x = internals(strategy);
    const wallSteps = x.state.globalStep;
    expect(differingKeys(snapshot(x.checkpointTensors()), atEpoch0!.tensors).length).toBeGreaterThan(0);

    x.rollBack(0);
    expect(differingKeys(snapshot(x.checkpointTensors()), atEpoch0!.tensors)).toEqual([]);
    expect({ epoch: x.state.epoch, train: x.state.train, val: x.state.val, adam: x.adam.stateJson() }).toEqual(atEpoch0!.state);
    expect(x.lr()).toBe(atEpoch0!.lr);
    expect(x.s).toEqual(atEpoch0!.masks);
    // Wall counters are not rolled back: they count work done, and name checkpoints in the order written.
    expect(x.state.globalStep).toBe(wallSteps);
    expect(x.state.wallEpoch).toBe(3);
    strategy.dispose();
  });

  it('ends each phase at the phase limit when λ_max does not jump, with 6 decisions in the NAS-Bench-201 space', async () => {
    const config = parseSearchConfig({
      dataset: 'demo',
      augment: false,
      batchSize: 16,
      seed: 2,
      space: { name: 'nb201', channels: 4, cells: 1 },
      strategy: { name: 'sgas-es', decisionFreq: 1, finalEpochs: 1, hessianIters: 2, batchIncrease: 0 },
    });
    const events: TrainerEvent[] = [];
    const { strategy, net } = build(config, join(dir, 'es-limit'), events);
    const outcome = await strategy.run({ interrupt: () => null });
    const weights = alphaWeights(net);
    strategy.dispose();
    const decisions = decisionsOf(events);
    // A phase of one epoch: a decision at the end of every epoch 0..5, then one final epoch.
    expect(decisions.map((d) => d.epoch)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(decisions.every((d) => d.reason === 'phase-limit')).toBe(true);
    expect(new Set(decisions.map((d) => d.edge)).size).toBe(6);
    expect(outcome.epochsDone).toBe(7);
    // One eigenvalue per epoch while edges remain undecided.
    expect(events.filter((e) => e.type === 'eigenvalue').map((e) => (e as { eigenvalue: { epoch: number } }).eigenvalue.epoch)).toEqual([0, 1, 2, 3, 4, 5]);
    const arch = spaceImplementation(config.space).fromSelection(config.space, outcome.selection!, outcome.ops);
    expect(arch.nb201).not.toBeNull();
    expect(Object.keys(weights)).toEqual(['cell']);
  });
});
