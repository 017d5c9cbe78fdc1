/**
 * MdeNAS's distribution (ALGORITHMS.md §5, §9 MdeNAS properties 1–6): validity after any updates, the update
 * on equal accuracies and on equal epochs, antisymmetry, sampling frequencies (χ²), what an oracle whose op 3
 * always wins does to the distribution, and the genotype derived from it.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/main/nas/engine/rng';
import { spaceImplementation, type EdgeSelection } from '../../../../src/main/nas/spaces/registry';
import type { SamplingSpace } from '../../../../src/main/nas/strategies/architecture-sampling';
import { MdenasSearcher } from '../../../../src/main/nas/strategies/mdenas';
import {
  newMdenasState,
  probabilities,
  recordSample,
  sampleFromDistribution,
  updateDistribution,
  updateRow,
  type MdenasState,
  type MdenasUpdateRule,
} from '../../../../src/main/nas/strategies/mdenas-distribution';
import { parseSearchConfig, type SpaceConfig, type StrategyConfigOf } from '../../../../src/shared/config';
import type { DartsGenotype } from '../../../../src/shared/spaces/darts';

const RULES: readonly MdenasUpdateRule[] = ['transfer', 'shift'];

function spaceConfig(name: 'nb201' | 'darts', extra: Record<string, unknown> = {}): SpaceConfig {
  return parseSearchConfig({ dataset: 'fixture', space: { name, ...extra }, strategy: { name: 'mdenas' } }).space;
}

function mdenasOptions(extra: Record<string, unknown> = {}): StrategyConfigOf<'mdenas'> {
  return parseSearchConfig({ dataset: 'fixture', space: { name: 'nb201' }, strategy: { name: 'mdenas', ...extra } }).strategy as StrategyConfigOf<'mdenas'>;
}

function samplingSpace(name: 'nb201' | 'darts'): SamplingSpace {
  const space = spaceConfig(name);
  const cellTypes = name === 'nb201' ? ['cell'] : ['normal', 'reduce'];
  return { topology: spaceImplementation(space).topology(space), ops: 'ops' in space && space.ops.length ? space.ops : allOps(name), cellTypes };
}

function allOps(name: 'nb201' | 'darts'): string[] {
  return name === 'nb201'
    ? ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3']
    : ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'];
}

function rowsOf(state: MdenasState): number[][] {
  return Object.values(state).flatMap((c) => c.p);
}

function expectValidRows(state: MdenasState): void {
  for (const row of rowsOf(state)) {
    for (const v of row) expect(v).toBeGreaterThanOrEqual(0);
    expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThanOrEqual(1e-9);
  }
}

/** A random point of the simplex whose entries are all at least `floor`. */
function simplexPoint(rng: Rng, n: number, floor: number): number[] {
  const raw = Array.from({ length: n }, () => rng.next() + 1e-3);
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => floor + (1 - n * floor) * (v / total));
}

function swap<T>(xs: readonly T[], i: number, j: number): T[] {
  const out = [...xs];
  [out[i], out[j]] = [out[j], out[i]];
  return out;
}

/** Pearson's χ² of observed counts against expected probabilities (cells with probability 0 left out). */
function chiSquare(counts: readonly number[], p: readonly number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.reduce((acc, c, k) => (p[k] > 0 ? acc + (c - n * p[k]) ** 2 / (n * p[k]) : acc), 0);
}

// Upper 0.1% points of χ² (standard tables), by degrees of freedom.
const CHI2_CRITICAL_0_001: Record<number, number> = { 3: 16.27, 4: 18.47, 7: 24.32 };

describe('MdeNAS distribution: validity (§9 MdeNAS 1)', () => {
  it('every row stays non-negative and sums to 1 (1e-9) after any sequence of records and updates, both rules', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(...RULES),
        fc.constantFrom<'latest' | 'mean'>('latest', 'mean'),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        (seed, ops, edges, rule, mode, lr) => {
          const state = newMdenasState(['normal', 'reduce'], edges, ops);
          const rng = new Rng(seed);
          for (let step = 0; step < 60; step++) {
            const selection = sampleFromDistribution(state, rng);
            // Accuracies from a small set, so equal accuracies (no comparison) happen too.
            recordSample(state, selection, rng.int(5) / 4, mode);
            // Sometimes several records before one update (the per-minibatch variant).
            if (rng.bernoulli(0.7)) updateDistribution(state, lr, rule);
            expectValidRows(state);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('MdeNAS distribution: the update (§9 MdeNAS 2, 3)', () => {
  it('leaves p unchanged when every op has the same accuracy, whatever the epochs', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 200; trial++) {
      const n = 2 + rng.int(7);
      const p = simplexPoint(rng, n, 0);
      const epochs = Array.from({ length: n }, () => rng.int(6));
      const level = rng.next();
      // Ops never sampled (null) take no part; the rest share one accuracy.
      const accuracy = epochs.map((e) => (e === 0 ? null : level));
      for (const rule of RULES) expect(updateRow(p, epochs, accuracy, 0.05, rule)).toEqual(p);
    }
  });

  it('with equal epochs, the op with the strictly highest accuracy gains exactly α_p per op it beats and the mass is conserved', () => {
    const rng = new Rng(12);
    for (let trial = 0; trial < 300; trial++) {
      const n = 2 + rng.int(7);
      // At most 0.015, so that n·α_p·(n−1) < 1 and the floor below leaves room on the simplex.
      const lr = 0.001 + 0.014 * rng.next();
      // Every entry covers the most it could owe (α_p·(n−1)), so no loser runs dry and no entry goes negative.
      const p = simplexPoint(rng, n, lr * (n - 1));
      const epochs = new Array<number>(n).fill(1 + rng.int(5));
      const winner = rng.int(n);
      // The others: lower accuracies with ties among them, some never sampled (null: not beaten).
      const accuracy: Array<number | null> = epochs.map((_, k) => (k === winner ? 0.95 : rng.bernoulli(0.2) ? null : rng.int(4) / 5));
      const beaten = accuracy.filter((a, k) => k !== winner && a !== null).length;
      for (const rule of RULES) {
        const next = updateRow(p, epochs, accuracy, lr, rule);
        expect(next[winner] - p[winner]).toBeCloseTo(lr * beaten, 12);
        expect(next.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      }
    }
  });

  it('transfer: a loser owing more than it holds pays exactly what it has, shared by its winners', () => {
    // op 0 beats ops 1 and 2, op 1 beats op 2 (equal epochs). op 2 owes 2·α_p = 0.02 but holds 0.001,
    // so each of its two winners gets 0.0005; op 1 owes 0.01 to op 0 and can pay it.
    const next = updateRow([0.5, 0.499, 0.001], [3, 3, 3], [0.9, 0.5, 0.1], 0.01, 'transfer');
    expect(next[0]).toBeCloseTo(0.5 + 0.01 + 0.0005, 15);
    expect(next[1]).toBeCloseTo(0.499 - 0.01 + 0.0005, 15);
    expect(next[2]).toBe(0);
  });

  it('antisymmetry: swapping the statistics of ops i and j swaps their updates (both rules)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 2, max: 8 }),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        (seed, n, lr) => {
          const rng = new Rng(seed);
          const p = simplexPoint(rng, n, 0);
          const epochs = Array.from({ length: n }, () => rng.int(4));
          const accuracy = epochs.map(() => (rng.bernoulli(0.15) ? null : rng.int(4) / 3));
          const i = rng.int(n);
          const j = rng.int(n);
          for (const rule of RULES) {
            const swappedUpdate = updateRow(swap(p, i, j), swap(epochs, i, j), swap(accuracy, i, j), lr, rule);
            const updateSwapped = swap(updateRow(p, epochs, accuracy, lr, rule), i, j);
            swappedUpdate.forEach((v, k) => expect(v).toBeCloseTo(updateSwapped[k], 12));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an op trained more than every other gains nothing, even with the highest accuracy (a win needs H^e_i ≤ H^e_j)', () => {
    const p = [0.2, 0.2, 0.2, 0.2, 0.2];
    const next = updateRow(p, [4, 5, 3, 9, 6], [0.1, 0.2, 0.3, 0.9, 0.4], 0.01, 'transfer');
    expect(next[3]).toBe(0.2);
  });

  it('shift: renormalisation pulls an op that neither wins nor loses toward 1/n', () => {
    // op 0 (p 0.6) takes no part (never sampled); op 3 loses to ops 1, 2 and 4 and goes negative.
    const p = [0.6, 0.1, 0.1, 0.01, 0.19];
    const next = updateRow(p, [0, 1, 1, 1, 1], [null, 0.8, 0.7, 0.1, 0.6], 0.01, 'shift');
    expect(next[3]).toBe(0);
    expect(next[0]).toBeLessThan(0.6);
    expect(next[0]).toBeGreaterThan(1 / 5);
  });
});

describe('MdeNAS distribution: sampling and statistics (§9 MdeNAS 4)', () => {
  const rows = [
    [0.2, 0.2, 0.2, 0.2, 0.2],
    [0.5, 0.25, 0.125, 0.0625, 0.0625],
    [0.01, 0.02, 0.03, 0.04, 0.9],
    [0.3, 0, 0.3, 0.2, 0.2],
    [0.05, 0.45, 0.05, 0.4, 0.05],
    [0.1, 0.15, 0.35, 0.15, 0.25],
  ];
  const draws = 100_000;

  function sampledCounts(seed: number): number[][] {
    const state = newMdenasState(['cell'], rows.length, 5);
    state.cell.p = rows.map((r) => [...r]);
    const counts = rows.map(() => new Array<number>(5).fill(0));
    const rng = new Rng(seed);
    for (let t = 0; t < draws; t++) sampleFromDistribution(state, rng).cell.forEach((k, e) => (counts[e][k as number] += 1));
    return counts;
  }

  let counts: number[][] = [];
  beforeAll(() => {
    counts = sampledCounts(2024);
  });

  it('draws each op with its probability over 10^5 draws (χ² at p = 0.001), never an op of probability 0', () => {
    rows.forEach((p, e) => {
      const support = p.filter((v) => v > 0).length;
      expect(chiSquare(counts[e], p)).toBeLessThan(CHI2_CRITICAL_0_001[support - 1]);
      p.forEach((v, k) => (v === 0 ? expect(counts[e][k]).toBe(0) : undefined));
    });
  });

  it('the χ² check has power: counts drawn from p fail against p moved by 0.01', () => {
    const p = rows[5];
    const moved = [p[0] + 0.01, p[1], p[2] - 0.01, p[3], p[4]];
    expect(chiSquare(counts[5], moved)).toBeGreaterThan(CHI2_CRITICAL_0_001[4]);
  });

  it("'mean' keeps the running mean of an op's accuracies and 'latest' the last one; H^e counts the samples", () => {
    const rng = new Rng(5);
    const seen: number[] = [];
    const mean = newMdenasState(['cell'], 3, 4);
    const latest = newMdenasState(['cell'], 3, 4);
    for (let t = 0; t < 40; t++) {
      const a = rng.next();
      seen.push(a);
      // Edge 1 always samples op 2; edges 0 and 2 are left out (null).
      const selection: EdgeSelection = { cell: [null, 2, null] };
      recordSample(mean, selection, a, 'mean');
      recordSample(latest, selection, a, 'latest');
      expect(mean.cell.accuracy[1][2]).toBeCloseTo(seen.reduce((x, y) => x + y, 0) / seen.length, 12);
      expect(latest.cell.accuracy[1][2]).toBe(a);
      expect(mean.cell.epochs[1][2]).toBe(seen.length);
    }
    for (const s of [mean, latest]) {
      expect(s.cell.epochs[0]).toEqual([0, 0, 0, 0]);
      expect(s.cell.accuracy[2]).toEqual([null, null, null, null]);
      expect(s.cell.accuracy[1].filter((a) => a !== null)).toHaveLength(1);
    }
  });
});

describe('MdeNAS: non-finite accuracies', () => {
  it('a NaN or infinite accuracy changes no statistic, so it neither poisons the running mean nor breaks an exact resume', () => {
    const options = mdenasOptions({ accuracy: 'mean', epochs: 40 });
    const space = samplingSpace('nb201');
    const score = (i: number) => (i === 2 ? Number.NaN : i === 9 ? Number.POSITIVE_INFINITY : ((i * 7919) % 101) / 101);
    const whole = new MdenasSearcher(space, options, 3);
    for (let i = 0; i < 40; i++) {
      const before = JSON.stringify(whole.distribution);
      const selection = whole.ask();
      whole.record(selection, score(i));
      if (!Number.isFinite(score(i))) expect(JSON.stringify(whole.distribution)).toBe(before);
      whole.update();
      whole.completeEvaluation(selection, score(i));
    }
    for (const cell of Object.values(whole.distribution)) for (const row of cell.accuracy) for (const a of row) if (a !== null) expect(Number.isFinite(a)).toBe(true);
    const first = new MdenasSearcher(space, options, 3);
    for (let i = 0; i < 5; i++) first.tell(first.ask(), score(i));
    const resumed = new MdenasSearcher(space, options, 3);
    resumed.load(JSON.parse(JSON.stringify(first.save())));
    for (let i = 5; i < 40; i++) resumed.tell(resumed.ask(), score(i));
    expect(JSON.stringify(resumed.save())).toBe(JSON.stringify(whole.save()));
  });
});

describe('MdeNAS on an oracle where op 3 always scores higher (§9 MdeNAS 5)', () => {
  // Per-edge oracle: whatever the rest of the cell, the accuracy recorded for an edge is in [0.8, 0.9) when
  // it sampled op 3 and in [0.3, 0.7) otherwise. Each edge is recorded on its own (the searcher's record()).
  function runOracle(name: 'nb201' | 'darts', seed: number, epochs: number, rule: MdenasUpdateRule, onEpoch: (s: MdenasSearcher, prev: number[][]) => void): MdenasSearcher {
    const space = samplingSpace(name);
    const searcher = new MdenasSearcher(space, mdenasOptions({ update: rule, epochs, convergence: 'epochs' }), seed);
    const noise = new Rng(seed + 7777);
    for (let t = 0; t < epochs; t++) {
      const prev = rowsOf(searcher.distribution).map((r) => [...r]);
      const selection = searcher.ask();
      for (const [key, cell] of Object.entries(selection)) {
        cell.forEach((k, e) => {
          const single: EdgeSelection = Object.fromEntries(Object.entries(selection).map(([other, c]) => [other, c.map((kk, ee) => (other === key && ee === e ? kk : null))]));
          searcher.record(single, k === 3 ? 0.8 + 0.1 * noise.next() : 0.3 + 0.4 * noise.next());
        });
      }
      searcher.update();
      searcher.completeEvaluation(selection, 0);
      onEpoch(searcher, prev);
    }
    return searcher;
  }

  for (const name of ['nb201', 'darts'] as const) {
    it(`${name}: under transfer op 3 never loses mass, rises above 1/n on every edge and becomes every edge's most-trained op`, () => {
      const n = allOps(name).length;
      for (const seed of [1, 2, 3]) {
        const searcher = runOracle(name, seed, 400, 'transfer', (s, prev) => {
          rowsOf(s.distribution).forEach((row, e) => expect(row[3]).toBeGreaterThanOrEqual(prev[e][3]));
        });
        expectValidRows(searcher.distribution);
        for (const cell of Object.values(searcher.distribution)) {
          cell.p.forEach((row) => expect(row[3]).toBeGreaterThan(1 / n + 0.05));
          cell.epochs.forEach((row) => expect(row.indexOf(Math.max(...row))).toBe(3));
        }
        expect(searcher.evaluations).toBe(400);
      }
    });
  }

  it('tell(selection, score) is record + update + one evaluation', () => {
    const space = samplingSpace('darts');
    const options = mdenasOptions({ accuracy: 'mean' });
    const a = new MdenasSearcher(space, options, 9);
    const b = new MdenasSearcher(space, options, 9);
    const rng = new Rng(4);
    for (let t = 0; t < 30; t++) {
      const selection = a.ask();
      expect(b.ask()).toEqual(selection);
      const score = rng.next();
      a.tell(selection, score);
      b.record(selection, score);
      b.update();
      b.completeEvaluation(selection, score);
    }
    expect(b.save()).toEqual(a.save());
  });
});

describe('MdeNAS: the derived architecture (§9 MdeNAS 6)', () => {
  /** A distribution after random training, with `none` made the most likely op on some edges. */
  function trainedDistribution(space: SamplingSpace, seed: number): MdenasState {
    const state = newMdenasState(space.cellTypes, space.topology.edgeNodes.length, space.ops.length);
    const rng = new Rng(seed);
    for (let t = 0; t < 80; t++) {
      recordSample(state, sampleFromDistribution(state, rng), rng.next(), 'latest');
      updateDistribution(state, 0.03, t % 2 ? 'transfer' : 'shift');
    }
    const none = space.ops.indexOf('none');
    for (const cell of Object.values(state)) {
      cell.p = cell.p.map((row) => (rng.bernoulli(0.4) ? row.map((_, k) => (k === none ? 0.6 : 0.4 / (row.length - 1))) : row));
    }
    return state;
  }

  it('DARTS: every node keeps exactly 2 distinct valid inputs and no op is none', () => {
    const space = spaceConfig('darts');
    const sampling = samplingSpace('darts');
    for (let seed = 0; seed < 40; seed++) {
      const weights = probabilities(trainedDistribution(sampling, seed));
      const genotype = spaceImplementation(space).fromWeights(space, weights, sampling.ops).genotype as DartsGenotype;
      for (const cell of [genotype.normal, genotype.reduce]) {
        expect(cell).toHaveLength(8);
        for (let node = 0; node < 4; node++) {
          const inputs = cell.slice(2 * node, 2 * node + 2);
          const sources = inputs.map(([, source]) => source);
          expect(new Set(sources).size).toBe(2);
          for (const s of sources) expect(s).toBeLessThan(node + 2);
          for (const [op] of inputs) expect(op).not.toBe('none');
        }
      }
    }
  });

  it('NAS-Bench-201 with allowNone off: an op on every edge and none of them none (on: none where it is the most likely)', () => {
    const sampling = samplingSpace('nb201');
    const off = spaceConfig('nb201', { allowNone: false });
    const on = spaceConfig('nb201', { allowNone: true });
    for (let seed = 0; seed < 40; seed++) {
      const weights = probabilities(trainedDistribution(sampling, seed));
      const cellOff = spaceImplementation(off).fromWeights(off, weights, sampling.ops).genotype as string[];
      expect(cellOff).toHaveLength(6);
      expect(cellOff).not.toContain('none');
      const cellOn = spaceImplementation(on).fromWeights(on, weights, sampling.ops).genotype as string[];
      weights.cell.forEach((row, e) => {
        if (row[0] > Math.max(...row.slice(1))) expect(cellOn[e]).toBe('none');
      });
    }
  });
});
