/**
 * Discrete architectures for random search and regularised evolution: uniform draws from the DARTS and
 * NAS-Bench-201 spaces (validity and χ² frequencies), one-change mutations, and architecture keys.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/main/nas/engine/rng';
import { spaceImplementation, type EdgeSelection } from '../../../../src/main/nas/spaces/registry';
import { architectureKey, mutateArchitecture, randomArchitecture, type SamplingSpace } from '../../../../src/main/nas/strategies/architecture-sampling';
import { parseSearchConfig } from '../../../../src/shared/config';
import { DARTS_OPS } from '../../../../src/shared/spaces/darts';
import { NB201_OPS } from '../../../../src/shared/spaces/nb201';

function samplingSpace(name: 'nb201' | 'darts', ops: readonly string[] = name === 'nb201' ? NB201_OPS : DARTS_OPS): SamplingSpace {
  const space = parseSearchConfig({ dataset: 'fixture', space: { name }, strategy: { name: 'random' } }).space;
  return { topology: spaceImplementation(space).topology(space), ops, cellTypes: name === 'nb201' ? ['cell'] : ['normal', 'reduce'] };
}

const DARTS = samplingSpace('darts');
const NB201 = samplingSpace('nb201');

/** The edges entering each node, from the space's topology. */
function incoming(space: SamplingSpace): Map<number, number[]> {
  const byNode = new Map<number, number[]>();
  space.topology.edgeNodes.forEach((node, e) => byNode.set(node, [...(byNode.get(node) ?? []), e]));
  return byNode;
}

/** Checks an architecture against its space's rules; returns nothing, fails the test on a violation. */
function expectValid(space: SamplingSpace, arch: EdgeSelection): void {
  expect(Object.keys(arch).sort()).toEqual([...space.cellTypes].sort());
  const none = space.ops.indexOf('none');
  for (const cell of Object.values(arch)) {
    expect(cell).toHaveLength(space.topology.edgeNodes.length);
    for (const k of cell) if (k !== null) expect(Number.isInteger(k) && k >= 0 && k < space.ops.length).toBe(true);
    if (space.topology.maxInDegree === null) {
      expect(cell.every((k) => k !== null)).toBe(true);
      continue;
    }
    for (const [node, edges] of incoming(space)) {
      const chosen = edges.filter((e) => cell[e] !== null);
      expect(chosen).toHaveLength(2);
      const sources = chosen.map((e) => space.topology.edgeSources[e]);
      expect(new Set(sources).size).toBe(2);
      // DARTS states: 0 = c_{k−2}, 1 = c_{k−1}, node t is state t + 2; a node reads only earlier states.
      for (const s of sources) expect(s).toBeLessThan(node + 2);
      for (const e of chosen) expect(cell[e]).not.toBe(none);
    }
  }
}

/** Pearson's χ² of counts against equal probabilities. */
function chiSquareUniform(counts: readonly number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  const expected = n / counts.length;
  return counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
}

// Upper 0.1% points of χ² (standard tables), by degrees of freedom.
const CHI2_CRITICAL_0_001: Record<number, number> = { 2: 13.82, 4: 18.47, 6: 22.46, 9: 27.88 };

type Change = { kind: 'op'; cell: string; edge: number } | { kind: 'input'; cell: string; from: number; to: number };

/** The one change that turns `parent` into `child`, or null when they differ by anything else (or not at all). */
function singleChange(space: SamplingSpace, parent: EdgeSelection, child: EdgeSelection): Change | null {
  const changes: Array<{ cell: string; edge: number; before: number | null; after: number | null }> = [];
  for (const key of space.cellTypes) {
    parent[key].forEach((before, edge) => {
      const after = child[key][edge];
      if (before !== after) changes.push({ cell: key, edge, before, after });
    });
  }
  if (changes.length === 1) {
    const [c] = changes;
    return c.before !== null && c.after !== null ? { kind: 'op', cell: c.cell, edge: c.edge } : null;
  }
  if (changes.length === 2 && changes[0].cell === changes[1].cell) {
    const from = changes.find((c) => c.after === null);
    const to = changes.find((c) => c.before === null);
    const sameNode = from && to && space.topology.edgeNodes[from.edge] === space.topology.edgeNodes[to.edge];
    if (from && to && sameNode && from.before === to.after) return { kind: 'input', cell: from.cell, from: from.edge, to: to.edge };
  }
  return null;
}

describe('randomArchitecture', () => {
  it('DARTS: exactly 2 distinct inputs per node, valid sources, no none, in both cell types', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => expectValid(DARTS, randomArchitecture(DARTS, new Rng(seed)))),
      { numRuns: 500 },
    );
  });

  it('NAS-Bench-201: an op (none included) on every one of the 6 edges', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => expectValid(NB201, randomArchitecture(NB201, new Rng(seed)))),
      { numRuns: 500 },
    );
  });

  it('draws ops uniformly (χ² at p = 0.001): DARTS over its 7 ops other than none, NAS-Bench-201 over all 5', () => {
    const rng = new Rng(77);
    const darts = new Array<number>(DARTS_OPS.length).fill(0);
    const nb201 = new Array<number>(NB201_OPS.length).fill(0);
    for (let t = 0; t < 20_000; t++) {
      for (const cell of Object.values(randomArchitecture(DARTS, rng))) for (const k of cell) if (k !== null) darts[k] += 1;
      for (const k of randomArchitecture(NB201, rng).cell) nb201[k as number] += 1;
    }
    expect(darts[DARTS_OPS.indexOf('none')]).toBe(0);
    expect(chiSquareUniform(darts.filter((_, k) => DARTS_OPS[k] !== 'none'))).toBeLessThan(CHI2_CRITICAL_0_001[6]);
    expect(chiSquareUniform(nb201)).toBeLessThan(CHI2_CRITICAL_0_001[4]);
  });

  it('DARTS: each pair of inputs of a node is equally likely (χ² at p = 0.001 for node 1: 3 pairs, node 3: 10 pairs)', () => {
    const rng = new Rng(78);
    const byNode = incoming(DARTS);
    for (const node of [1, 3]) {
      const edges = byNode.get(node)!;
      const pairs = new Map<string, number>();
      for (let a = 0; a < edges.length; a++) for (let b = a + 1; b < edges.length; b++) pairs.set(`${edges[a]},${edges[b]}`, 0);
      for (let t = 0; t < 20_000; t++) {
        const cell = randomArchitecture(DARTS, rng).normal;
        const key = edges.filter((e) => cell[e] !== null).join(',');
        pairs.set(key, (pairs.get(key) ?? Number.NaN) + 1);
      }
      const counts = [...pairs.values()];
      expect(counts.every(Number.isFinite)).toBe(true);
      expect(chiSquareUniform(counts)).toBeLessThan(CHI2_CRITICAL_0_001[counts.length - 1]);
    }
  });

  it('the same seed gives the same architecture', () => {
    expect(randomArchitecture(DARTS, new Rng(5))).toEqual(randomArchitecture(DARTS, new Rng(5)));
    expect(randomArchitecture(NB201, new Rng(5))).toEqual(randomArchitecture(NB201, new Rng(5)));
  });
});

describe('mutateArchitecture', () => {
  it('changes exactly one thing (one op, or one input moved keeping its op), the child is valid and differs from the parent', () => {
    for (const space of [DARTS, NB201]) {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (parentSeed, seed) => {
          const parent = randomArchitecture(space, new Rng(parentSeed));
          const frozen = structuredClone(parent);
          const child = mutateArchitecture(space, parent, new Rng(seed));
          expect(parent).toEqual(frozen); // the parent is left as it was
          expectValid(space, child);
          expect(child).not.toEqual(parent);
          const change = singleChange(space, parent, child);
          expect(change).not.toBeNull();
          if (space === NB201) expect(change!.kind).toBe('op');
        }),
        { numRuns: 400 },
      );
    }
  });

  it('DARTS mutations both change ops and move inputs, in both cell types, and can reach every op but none', () => {
    const parent = randomArchitecture(DARTS, new Rng(1));
    const kinds = new Set<string>();
    const newOps = new Set<number>();
    for (let seed = 0; seed < 2000; seed++) {
      const child = mutateArchitecture(DARTS, parent, new Rng(seed));
      const change = singleChange(DARTS, parent, child)!;
      kinds.add(`${change.kind}:${change.cell}`);
      if (change.kind === 'op') newOps.add(child[change.cell][change.edge] as number);
    }
    expect([...kinds].sort()).toEqual(['input:normal', 'input:reduce', 'op:normal', 'op:reduce']);
    expect([...newOps].sort()).toEqual(DARTS_OPS.map((_, k) => k).filter((k) => DARTS_OPS[k] !== 'none'));
  });

  it('a DARTS space with one op other than none can only move inputs, and still changes the child', () => {
    const space = samplingSpace('darts', ['none', 'skip_connect']);
    for (let seed = 0; seed < 200; seed++) {
      const parent = randomArchitecture(space, new Rng(seed));
      const child = mutateArchitecture(space, parent, new Rng(seed + 1));
      expectValid(space, child);
      expect(singleChange(space, parent, child)?.kind).toBe('input');
    }
  });
});

describe('architectureKey', () => {
  it('equal keys ⇔ equal selections (for clones, reordered cell types, mutations and unrelated draws)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 3 }), (seed, relation) => {
        const rng = new Rng(seed);
        const a = randomArchitecture(DARTS, rng);
        const b: EdgeSelection =
          relation === 0
            ? structuredClone(a)
            : relation === 1
              ? { reduce: [...a.reduce], normal: [...a.normal] }
              : relation === 2
                ? mutateArchitecture(DARTS, a, rng)
                : randomArchitecture(DARTS, rng);
        expect(architectureKey(a) === architectureKey(b)).toBe(isDeepStrictEqual(a, b));
        if (relation <= 1) expect(architectureKey(a)).toBe(architectureKey(b));
        if (relation === 2) expect(architectureKey(a)).not.toBe(architectureKey(b));
      }),
      { numRuns: 500 },
    );
  });

  it('tells apart NAS-Bench-201 cells that differ on one edge, and a pruned edge from op 0', () => {
    const seen = new Map<string, string>();
    const rng = new Rng(3);
    for (let t = 0; t < 3000; t++) {
      const arch = randomArchitecture(NB201, rng);
      const key = architectureKey(arch);
      const spelled = JSON.stringify(arch.cell);
      expect(seen.get(key) ?? spelled).toBe(spelled);
      seen.set(key, spelled);
    }
    expect(architectureKey({ cell: [null, 1] })).not.toBe(architectureKey({ cell: [0, 1] }));
  });
});
