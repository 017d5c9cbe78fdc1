/**
 * The ask/tell searchers of the sampling strategies (random search, regularised evolution, MdeNAS):
 * determinism, exact resumes through a JSON round trip, the evolution population's ageing and tournaments,
 * evolution beating random search on the real NAS-Bench-201 table, and the error for another strategy's state.
 */
import { describe, expect, it } from 'vitest';
import { Nb201Table } from '../../../../src/main/nas/estimation/nb201-table';
import { spaceImplementation, type EdgeSelection } from '../../../../src/main/nas/spaces/registry';
import { architectureKey, type SamplingSpace } from '../../../../src/main/nas/strategies/architecture-sampling';
import type { ArchitectureSearcher } from '../../../../src/main/nas/strategies/architecture-searcher';
import { EvolutionSearcher, type EvolutionOptions } from '../../../../src/main/nas/strategies/evolution';
import { MdenasSearcher } from '../../../../src/main/nas/strategies/mdenas';
import { RandomSearcher } from '../../../../src/main/nas/strategies/random';
import { parseSearchConfig, type StrategyConfigOf } from '../../../../src/shared/config';
import { DARTS_OPS } from '../../../../src/shared/spaces/darts';
import { NB201_OPS } from '../../../../src/shared/spaces/nb201';

type SpaceName = 'nb201' | 'darts';
type StrategyName = 'random' | 'evolution' | 'mdenas';

function samplingSpace(name: SpaceName): SamplingSpace {
  const space = parseSearchConfig({ dataset: 'fixture', space: { name }, strategy: { name: 'random' } }).space;
  return { topology: spaceImplementation(space).topology(space), ops: name === 'nb201' ? NB201_OPS : DARTS_OPS, cellTypes: name === 'nb201' ? ['cell'] : ['normal', 'reduce'] };
}

const SPACES: Record<SpaceName, SamplingSpace> = { nb201: samplingSpace('nb201'), darts: samplingSpace('darts') };
const EVOLUTION: EvolutionOptions = { samples: 60, population: 10, sampleSize: 3 };

function mdenasOptions(extra: Record<string, unknown> = {}): StrategyConfigOf<'mdenas'> {
  return parseSearchConfig({ dataset: 'fixture', space: { name: 'nb201' }, strategy: { name: 'mdenas', epochs: 60, ...extra } }).strategy as StrategyConfigOf<'mdenas'>;
}

function searcher(strategy: StrategyName, space: SpaceName, seed: number): ArchitectureSearcher {
  if (strategy === 'random') return new RandomSearcher(SPACES[space], 60, seed);
  if (strategy === 'evolution') return new EvolutionSearcher(SPACES[space], EVOLUTION, seed);
  return new MdenasSearcher(SPACES[space], mdenasOptions(), seed);
}

/** A fixed score per architecture (a hash of its key into [0, 1)), so a resumed run is told the same scores. */
function hashScore(selection: EdgeSelection): number {
  let h = 2166136261;
  for (const ch of architectureKey(selection)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h >>> 0) / 2 ** 32;
}

/** Asks and tells `count` times; returns the architectures asked. */
function drive(s: ArchitectureSearcher, count: number, score: (sel: EdgeSelection, i: number) => number = hashScore): EdgeSelection[] {
  const asked: EdgeSelection[] = [];
  for (let i = 0; i < count; i++) {
    const selection = s.ask();
    asked.push(selection);
    s.tell(selection, score(selection, s.evaluations));
  }
  return asked;
}

/** One mutation: one op changed (one edge differs, both non-null), or one input moved in one node keeping its op. */
function isOneMutation(space: SamplingSpace, parent: EdgeSelection, child: EdgeSelection): boolean {
  const diffs = space.cellTypes.flatMap((key) => parent[key].flatMap((k, e) => (child[key][e] === k ? [] : [{ key, e, before: k, after: child[key][e] }])));
  if (diffs.length === 1) return diffs[0].before !== null && diffs[0].after !== null;
  if (diffs.length !== 2 || diffs[0].key !== diffs[1].key) return false;
  const from = diffs.find((d) => d.after === null);
  const to = diffs.find((d) => d.before === null);
  return !!from && !!to && from.before === to.after && space.topology.edgeNodes[from.e] === space.topology.edgeNodes[to.e];
}

const STRATEGIES: readonly StrategyName[] = ['random', 'evolution', 'mdenas'];

describe('sampling searchers: determinism and resume', () => {
  for (const strategy of STRATEGIES) {
    for (const space of ['nb201', 'darts'] as const) {
      it(`${strategy} on ${space}: the same seed asks the same architectures, another seed others`, () => {
        const a = drive(searcher(strategy, space, 3), 40);
        expect(drive(searcher(strategy, space, 3), 40)).toEqual(a);
        expect(drive(searcher(strategy, space, 4), 40)).not.toEqual(a);
      });

      it(`${strategy} on ${space}: save, JSON round trip, load into a new searcher and continue = the uninterrupted run`, () => {
        // A NaN score on evaluation 7: not JSON (it becomes null), never the best, no MdeNAS statistic.
        const score = (sel: EdgeSelection, i: number) => (i === 7 ? Number.NaN : hashScore(sel));
        const whole = searcher(strategy, space, 11);
        const asked = drive(whole, 60, score);
        expect(whole.done()).toBe(true);
        for (const cut of [0, 5, 8, 25, 59]) {
          const first = searcher(strategy, space, 11);
          const before = drive(first, cut, score);
          const stored = JSON.parse(JSON.stringify(first.save())) as unknown;
          const resumed = searcher(strategy, space, 11);
          resumed.load(stored);
          expect(resumed.evaluations).toBe(cut);
          const after = drive(resumed, 60 - cut, score);
          expect([...before, ...after]).toEqual(asked);
          expect(resumed.done()).toBe(true);
          expect(resumed.best).toEqual(whole.best);
          expect(JSON.stringify(resumed.save())).toBe(JSON.stringify(whole.save()));
          expect(resumed.answer()).toEqual(whole.answer());
        }
      });
    }
  }

  it("loading another strategy's state (or no state) fails with the clear error", () => {
    for (const target of STRATEGIES) {
      for (const source of STRATEGIES) {
        if (source === target) continue;
        const from = searcher(source, 'nb201', 1);
        drive(from, 3);
        expect(() => searcher(target, 'nb201', 1).load(JSON.parse(JSON.stringify(from.save())))).toThrow(
          `This checkpoint was not written by a ${target} search: resume it with the strategy that wrote it.`,
        );
      }
      expect(() => searcher(target, 'nb201', 1).load(undefined)).toThrow(`not written by a ${target} search`);
      expect(() => searcher(target, 'nb201', 1).load({ ...(searcher(target, 'nb201', 1).save() as object), version: 2 })).toThrow(`not written by a ${target} search`);
    }
  });
});

describe('random search', () => {
  it('spends exactly its budget and answers the first of the highest finite scores', () => {
    const s = new RandomSearcher(SPACES.darts, 30, 2);
    const told: Array<{ sel: EdgeSelection; score: number }> = [];
    while (!s.done()) {
      const sel = s.ask();
      // Few distinct scores, so ties happen; some are not finite (never the best).
      const score = [0.1, 0.5, 0.9, Number.NaN, Number.POSITIVE_INFINITY][Math.floor(hashScore(sel) * 5)];
      told.push({ sel, score });
      s.tell(sel, score);
    }
    expect(s.evaluations).toBe(30);
    const top = Math.max(...told.filter((t) => Number.isFinite(t.score)).map((t) => t.score));
    expect(s.answer().selection).toEqual(told.find((t) => t.score === top)!.sel);
  });
});

describe('regularised evolution', () => {
  it('keeps at most P members, always the last P told, oldest first (ageing removes, not fitness)', () => {
    const s = new EvolutionSearcher(SPACES.nb201, { samples: 80, population: 12, sampleSize: 4 }, 5);
    const told: Array<{ selection: EdgeSelection; score: number }> = [];
    while (!s.done()) {
      const selection = s.ask();
      const score = hashScore(selection);
      s.tell(selection, score);
      told.push({ selection, score });
      expect(s.population.length).toBeLessThanOrEqual(12);
      expect(s.population).toEqual(told.slice(-12));
    }
  });

  it('asks P random architectures that do not depend on the scores, then each child is one mutation from a member', () => {
    for (const space of ['nb201', 'darts'] as const) {
      const options = { samples: 70, population: 15, sampleSize: 5 };
      const a = new EvolutionSearcher(SPACES[space], options, 8);
      const b = new EvolutionSearcher(SPACES[space], options, 8);
      const askedA = drive(a, 15, hashScore);
      const askedB = drive(b, 15, (sel) => 1 - hashScore(sel));
      expect(askedB).toEqual(askedA);
      for (let i = 15; i < 70; i++) {
        const members = a.population.map((m) => m.selection);
        const child = a.ask();
        expect(members.some((m) => isOneMutation(SPACES[space], m, child))).toBe(true);
        a.tell(child, hashScore(child));
      }
      // After the random phase, the scores steer the children: the two runs part ways.
      expect(drive(b, 55, (sel) => 1 - hashScore(sel))).not.toEqual(drive(new EvolutionSearcher(SPACES[space], options, 8), 70).slice(15));
    }
  });

  it('with a tournament over the whole population, every child is one mutation from the fittest member (the oldest of equals)', () => {
    const space = SPACES.darts;
    const s = new EvolutionSearcher(space, { samples: 120, population: 8, sampleSize: 8 }, 21);
    drive(s, 8, (sel) => Math.round(hashScore(sel) * 3) / 3);
    for (let i = 8; i < 120; i++) {
      const members = s.population;
      const top = Math.max(...members.map((m) => m.score));
      const fittest = members.find((m) => m.score === top)!;
      const child = s.ask();
      expect(isOneMutation(space, fittest.selection, child)).toBe(true);
      s.tell(child, Math.round(hashScore(child) * 3) / 3);
    }
  });

  it('refuses a tournament larger than the population, saying so', () => {
    expect(() => new EvolutionSearcher(SPACES.nb201, { samples: 10, population: 4, sampleSize: 5 }, 0)).toThrow('The tournament size (5) must not exceed the population (4).');
  });

  it('on the NAS-Bench-201 table, the mean best CIFAR-10 accuracy of 30 runs × 100 queries beats random search', () => {
    const table = Nb201Table.loadDefault();
    const score = (sel: EdgeSelection) => table.lookup(sel.cell.map((k) => NB201_OPS[k as number])).cifar10;
    const evolutionBest: number[] = [];
    const randomBest: number[] = [];
    for (let seed = 0; seed < 30; seed++) {
      const evolution = new EvolutionSearcher(SPACES.nb201, { samples: 100, population: 20, sampleSize: 5 }, seed);
      const random = new RandomSearcher(SPACES.nb201, 100, seed);
      for (const s of [evolution, random]) while (!s.done()) drive(s, 1, score);
      evolutionBest.push(evolution.best!.score);
      randomBest.push(random.best!.score);
      expect(evolution.evaluations).toBe(100);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Paired by seed; the difference must be clear of noise, not just positive: a t statistic above 2.
    const diffs = evolutionBest.map((v, i) => v - randomBest[i]);
    const sd = Math.sqrt(diffs.reduce((acc, d) => acc + (d - mean(diffs)) ** 2, 0) / (diffs.length - 1));
    expect(mean(evolutionBest)).toBeGreaterThan(mean(randomBest));
    expect(mean(diffs) / (sd / Math.sqrt(diffs.length))).toBeGreaterThan(2);
  });
});

describe('MdeNAS searcher', () => {
  it('is done after its epochs, or earlier once converged, and answers its probabilities', () => {
    const s = new MdenasSearcher(SPACES.nb201, mdenasOptions({ epochs: 25, convergence: 'epochs' }), 1);
    drive(s, 25);
    expect(s.done()).toBe(true);
    // Its answer is p, nudged by less than 1e-9 only to break exact ties.
    const weights = s.answer().weights;
    weights.cell.forEach((row, e) => row.forEach((w, k) => expect(Math.abs(w - s.distribution.cell.p[e][k])).toBeLessThan(1e-9)));
    // A threshold every row meets from the start (uniform 1/5 ≥ 0.2): converged before any evaluation.
    expect(new MdenasSearcher(SPACES.nb201, mdenasOptions({ threshold: 0.2 }), 1).done()).toBe(true);
  });

  it('breaks an exact tie by the accuracy each op reached, never by column order (none is column 0)', () => {
    const s = new MdenasSearcher(SPACES.nb201, mdenasOptions({ distributionLr: 0.01 }), 1);
    // Two samples with equal epochs: nor_conv_3x3 everywhere at 60 %, then avg_pool_3x3 at 40 %.
    const ops = SPACES.nb201.ops;
    const everywhere = (op: string) => ({ cell: new Array(6).fill(ops.indexOf(op)) });
    s.record(everywhere('nor_conv_3x3'), 0.6);
    s.record(everywhere('avg_pool_3x3'), 0.4);
    // No update yet: p is uniform, so only the tie-break decides, and it must follow the accuracies.
    const cell = spaceImplementation(parseSearchConfig({ dataset: 'x' }).space).fromWeights(parseSearchConfig({ dataset: 'x' }).space, s.answer().weights, ops);
    expect(cell.arch).toBe('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|');
  });

  it('the uniform-start first ask draws each op of an edge about equally over seeds', () => {
    const counts = new Array<number>(NB201_OPS.length).fill(0);
    for (let seed = 0; seed < 5000; seed++) counts[new MdenasSearcher(SPACES.nb201, mdenasOptions(), seed).ask().cell[0] as number] += 1;
    const expected = 5000 / NB201_OPS.length;
    // χ² with 4 degrees of freedom, upper 0.1% point 18.47 (standard tables).
    expect(counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0)).toBeLessThan(18.47);
  });
});
