import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NB201_ZERO_KEY,
  canonicalNb201Arch,
  canonicalNb201Key,
  countDistinctNb201,
  liveNb201Edges,
  nb201CodeToOps,
  nb201IsomorphCount,
  sameNb201Computation,
} from '../../../src/shared/nb201-canonical';
import { NB201_OPS, NB201_SPACE_SIZE, formatNb201Arch, nb201OpsToCode, type Nb201Op } from '../../../src/shared/spaces/nb201';

// Edge order: (0→1), (0→2), (1→2), (0→3), (1→3), (2→3).
const C3: Nb201Op = 'nor_conv_3x3';
const C1: Nb201Op = 'nor_conv_1x1';
const P: Nb201Op = 'avg_pool_3x3';
const S: Nb201Op = 'skip_connect';
const N: Nb201Op = 'none';
type Cell = Nb201Op[];

/**
 * The oracle: run the cell on numbers, each op a different generic nonlinear function with f(0) = 0 (an op
 * on a zero map gives zero), skip the identity, none zero, a node the sum of its inputs. Two cells are the
 * same computation exactly when they give the same outputs for such functions.
 */
function evaluate(ops: Cell, x: number): number {
  const f: Record<Nb201Op, (v: number) => number> = {
    none: () => 0,
    skip_connect: (v) => v,
    nor_conv_1x1: (v) => 1.7 * Math.sin(1.3 * v + 0.4) - 1.7 * Math.sin(0.4) + 0.31 * v * v,
    nor_conv_3x3: (v) => Math.tanh(2.1 * v) * 0.83 + 0.57 * v * v * v,
    avg_pool_3x3: (v) => Math.exp(0.45 * v) - 1 - 0.2 * v,
  };
  const node = [x, 0, 0, 0];
  node[1] = f[ops[0]](node[0]);
  node[2] = f[ops[1]](node[0]) + f[ops[2]](node[1]);
  node[3] = f[ops[3]](node[0]) + f[ops[4]](node[1]) + f[ops[5]](node[2]);
  return node[3];
}
const INPUTS = [0.37, -1.21, 2.03];
const signature = (ops: Cell) => INPUTS.map((x) => evaluate(ops, x));
const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 1e-9 * Math.max(1, Math.abs(v)));

/** Live edges by brute force: an edge matters iff it lies on one of the four 0→3 paths with no `none` on it. */
function liveByPaths(ops: Cell): boolean[] {
  const paths = [[3], [0, 4], [1, 5], [0, 2, 5]]; // as edge indices
  const live = [false, false, false, false, false, false];
  for (const p of paths) if (p.every((e) => ops[e] !== 'none')) for (const e of p) live[e] = true;
  return live;
}

const cellArb = fc.array(fc.constantFrom(...NB201_OPS), { minLength: 6, maxLength: 6 });
const opsOfArch = (arch: string) => arch.split(/[|+]+/).filter(Boolean).map((s) => s.split('~')[0] as Nb201Op);
const allCells = () => Array.from({ length: NB201_SPACE_SIZE }, (_, c) => nb201CodeToOps(c));

describe('NAS-Bench-201 canonical form', () => {
  it('recognises hand-made isomorphic pairs', () => {
    const pairs: [string, Cell, Cell][] = [
      // Node 1 has no live input: every edge out of it is as good as none.
      ['edges out of a dead node 1', [N, C3, C1, C3, P, S], [N, C3, N, C3, N, S]],
      // Node 2 does not reach node 3: the edges into it do not matter.
      ['edges into node 2 when node 2 is cut off from the output', [C3, C1, P, C3, S, N], [C3, N, N, C3, S, N]],
      // Two parallel branches whose ops are swapped: conv3(x) + conv1(x) either way.
      ['swapped parallel branches', [C3, C1, N, N, S, S], [C1, C3, N, N, S, S]],
      ['swapped two-op branches', [P, C3, N, N, C1, P], [C3, P, N, N, P, C1]],
      // skip_connect is the identity: conv3(skip(x)) = conv3(x).
      ['a skip before an op', [S, N, N, N, C3, N], [N, N, N, C3, N, N]],
      ['a chain through a skip', [C3, N, S, N, N, P], [C3, N, N, N, P, N]],
      ['two spellings of a zero output', [C3, C3, C3, N, N, N], [N, N, N, N, C1, P]],
    ];
    for (const [what, a, b] of pairs) {
      expect(canonicalNb201Key(a), what).toBe(canonicalNb201Key(b));
      expect(sameNb201Computation(formatNb201Arch(a), b), what).toBe(true);
      expect(close(signature(a), signature(b)), `${what}: the oracle agrees`).toBe(true);
    }
    expect(canonicalNb201Key([N, N, N, N, N, N])).toBe(NB201_ZERO_KEY);
  });

  it('tells apart hand-made non-isomorphic pairs', () => {
    const pairs: [string, Cell, Cell][] = [
      ['another op on the only edge', [N, N, N, C3, N, N], [N, N, N, C1, N, N]],
      ['x + x is not x', [S, N, N, S, S, N], [N, N, N, S, N, N]],
      ['the order of composition', [P, N, N, N, C1, N], [C1, N, N, N, P, N]],
      ['an op of a sum is not the sum of ops', [P, S, S, N, N, C3], [P, N, N, C3, C3, N]],
      ['zero vs identity', [N, N, N, N, N, N], [N, N, N, S, N, N]],
    ];
    for (const [what, a, b] of pairs) {
      expect(canonicalNb201Key(a), what).not.toBe(canonicalNb201Key(b));
      expect(close(signature(a), signature(b)), `${what}: the oracle agrees`).toBe(false);
    }
  });

  it('equal keys ⇔ the same computation, over the whole space (numeric oracle)', () => {
    const byKey = new Map<string, { sig: number[]; count: number }>();
    for (const ops of allCells()) {
      const key = canonicalNb201Key(ops);
      const sig = signature(ops);
      const seen = byKey.get(key);
      if (!seen) byKey.set(key, { sig, count: 1 });
      else {
        seen.count++;
        if (!close(seen.sig, sig)) throw new Error(`${formatNb201Arch(ops)} shares the key ${key} but computes something else`);
      }
    }
    // Distinct keys compute distinct functions: sort by the first output and compare near neighbours.
    const reps = [...byKey.entries()].map(([key, v]) => ({ key, sig: v.sig })).sort((a, b) => a.sig[0] - b.sig[0]);
    for (let i = 0; i < reps.length; i++) {
      for (let j = i + 1; j < reps.length && reps[j].sig[0] - reps[i].sig[0] <= 1e-9 * Math.max(1, Math.abs(reps[i].sig[0])); j++) {
        if (close(reps[i].sig, reps[j].sig)) throw new Error(`keys ${reps[i].key} and ${reps[j].key} compute the same function`);
      }
    }
    expect([...byKey.values()].reduce((s, v) => s + v.count, 0)).toBe(NB201_SPACE_SIZE);
    expect(countDistinctNb201(allCells())).toBe(byKey.size);
    // Far fewer computations than spellings, and the class sizes are what nb201IsomorphCount reports.
    expect(byKey.size).toBeLessThan(NB201_SPACE_SIZE / 2);
    for (const [key, v] of byKey) if (key === NB201_ZERO_KEY) expect(nb201IsomorphCount([N, N, N, N, N, N])).toBe(v.count);
  });

  it('the zero class is exactly the cells whose output is constant zero', () => {
    const zeroBySignature = allCells().filter((ops) => signature(ops).every((v) => v === 0)).length;
    expect(nb201IsomorphCount([N, N, N, N, N, N])).toBe(zeroBySignature);
    // …which are the cells with no 0→3 path of non-none edges.
    const noPath = allCells().filter((ops) => liveByPaths(ops).every((l) => !l)).length;
    expect(zeroBySignature).toBe(noPath);
  });

  it('live edges are exactly those on a 0→3 path of non-none edges', () => {
    fc.assert(
      fc.property(cellArb, (ops) => {
        expect(liveNb201Edges(ops)).toEqual(liveByPaths(ops));
      }),
      { numRuns: 500 },
    );
  });

  it('killing a dead edge never changes the key (property)', () => {
    fc.assert(
      fc.property(cellArb, fc.nat(5), (ops, pick) => {
        const dead = liveByPaths(ops)
          .map((live, e) => (!live && ops[e] !== 'none' ? e : -1))
          .filter((e) => e >= 0);
        fc.pre(dead.length > 0);
        const killed = [...ops];
        killed[dead[pick % dead.length]] = 'none';
        expect(canonicalNb201Key(killed)).toBe(canonicalNb201Key(ops));
        // Killing a live edge changes the computation, except when the oracle says it does not.
        const live = liveByPaths(ops).findIndex((l) => l);
        if (live >= 0) {
          const cut = [...ops];
          cut[live] = 'none';
          expect(canonicalNb201Key(cut) === canonicalNb201Key(ops)).toBe(close(signature(cut), signature(ops)));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('the canonical arch is one member shared by the whole class, with every dead edge none', () => {
    fc.assert(
      fc.property(cellArb, (ops) => {
        const rep = canonicalNb201Arch(ops);
        expect(canonicalNb201Key(rep)).toBe(canonicalNb201Key(ops));
        expect(canonicalNb201Arch(rep)).toBe(rep);
        const repOps = opsOfArch(rep);
        liveByPaths(repOps).forEach((live, e) => {
          if (!live) expect(repOps[e]).toBe('none');
        });
        // The lowest-coded member: no cell of the class has a lower code.
        expect(nb201OpsToCode(repOps)).toBeLessThanOrEqual(nb201OpsToCode(ops));
      }),
      { numRuns: 500 },
    );
    expect(canonicalNb201Arch([C3, C1, N, N, S, S])).toBe(canonicalNb201Arch([C1, C3, N, N, S, S]));
  });

  it('counts isomorphs and distinct architectures', () => {
    const bestC10 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
    const sigs = allCells().map(signature);
    const byOracle = (ops: Cell | string) => {
      const target = signature(typeof ops === 'string' ? (opsOfArch(ops) as Cell) : ops);
      return sigs.filter((s) => close(s, target)).length;
    };
    for (const cell of [bestC10, [C3, C1, N, N, S, S], [S, S, S, S, S, S], [N, N, N, C3, N, N]] as (Cell | string)[]) {
      expect(nb201IsomorphCount(cell)).toBe(byOracle(cell));
    }
    expect(nb201IsomorphCount(bestC10)).toBe(1); // every edge live, no two branches alike
    expect(nb201IsomorphCount([C3, C1, N, N, S, S])).toBeGreaterThan(2); // both orders, plus dead-edge variants
    expect(countDistinctNb201([[C3, C1, N, N, S, S], formatNb201Arch([C1, C3, N, N, S, S]), [N, N, N, N, N, N], [P, N, N, N, N, N]])).toBe(2);
    expect(countDistinctNb201([])).toBe(0);
    expect(() => canonicalNb201Key(['skip_connect'])).toThrow(/6 edges/);
    expect(() => nb201CodeToOps(NB201_SPACE_SIZE)).toThrow(/0\.\.15624/);
  });

  it('code ↔ ops round trip', () => {
    for (let c = 0; c < NB201_SPACE_SIZE; c += 97) expect(nb201OpsToCode(nb201CodeToOps(c))).toBe(c);
  });
});
