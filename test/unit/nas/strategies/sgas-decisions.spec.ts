/**
 * SGAS edge decisions (ALGORITHMS.md §3, §9 SGAS properties 1–8): score components, one decision per cell
 * type per step, frozen decisions, in-degree pruning (DARTS) and its absence (NAS-Bench-201), Criterion 2's
 * history window and empty-history choice, the forced genotype, the schedule and the batch growth.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DARTS_OPS, dartsEdges } from '../../../../src/shared/spaces/darts';
import { NB201_OPS, formatNb201Arch } from '../../../../src/shared/spaces/nb201';
import {
  NB201_TOPOLOGY,
  UNDECIDED,
  batchSizeAfter,
  candidateEdges,
  dartsTopology,
  decideEdge,
  decisionsPerCell,
  edgeScores,
  forcedCell,
  forcedDartsEntries,
  forcedNb201Ops,
  histogramIntersection,
  isDecisionEpoch,
  minMaxNormalize,
  newSgasCellState,
  observeEpoch,
  selectionCertainty,
  sgasTotalEpochs,
  type CellTopology,
  type SgasCellState,
  type SgasCriterion,
} from '../../../../src/main/nas/strategies/sgas-decisions';

const softmax = (row: number[]) => {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};
/** Random softmax rows (edges × ops) from logits in [−3, 3]. */
const probsArb = (edges: number, ops: number) =>
  fc.array(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: ops, maxLength: ops }), { minLength: edges, maxLength: edges }).map((rows) => rows.map(softmax));

const DARTS = dartsTopology();
const fixedCount = (s: SgasCellState) => s.selected.filter((x) => x !== null && x >= 0).length;

/** Inputs per node that are fixed to an op. */
function inDegrees(state: SgasCellState, topology: CellTopology): Map<number, number> {
  const out = new Map<number, number>();
  topology.edges.forEach(({ node }, e) => {
    const s = state.selected[e];
    out.set(node, (out.get(node) ?? 0) + (s !== null && s >= 0 ? 1 : 0));
  });
  return out;
}

describe('score components', () => {
  it('certainty is 1 for a one-hot p̂ and 0 for a uniform one; a distribution intersects itself fully', () => {
    expect(selectionCertainty([0, 0, 1, 0, 0, 0, 0])).toBe(1);
    expect(Math.abs(selectionCertainty(new Array(7).fill(1 / 7)))).toBeLessThan(1e-12);
    const p = [0.1, 0.2, 0.3, 0.4];
    expect(histogramIntersection(p, p)).toBeCloseTo(1, 12);
    expect(histogramIntersection([1, 0], [0, 1])).toBe(0);
  });

  it('min-max normalisation maps onto [0, 1] and a constant vector onto zeros', () => {
    expect(minMaxNormalize([2, 4, 3])).toEqual([0, 1, 0.5]);
    expect(minMaxNormalize([0.3, 0.3])).toEqual([0, 0]);
  });

  it('every component and score lies in [0, 1]; importance is 1 − P(none)', () => {
    fc.assert(
      fc.property(probsArb(14, 8), fc.constantFrom<SgasCriterion>(1, 2), (probs, criterion) => {
        const history = [probs.map((row) => softmax(row.slice(1)))];
        const s = edgeScores(probs, DARTS_OPS, history, criterion);
        for (const v of [...s.importance, ...s.certainty, ...(s.stability ?? []), ...s.score]) {
          expect(v).toBeGreaterThanOrEqual(-1e-12);
          expect(v).toBeLessThanOrEqual(1 + 1e-12);
        }
        probs.forEach((row, e) => expect(s.importance[e]).toBeCloseTo(1 - row[0], 12));
        s.nonNone.forEach((p) => expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12));
      }),
      { numRuns: 50 },
    );
  });

  it('the important, certain edge wins, with its strongest non-none op (worked example)', () => {
    // Every edge nearly uniform, except edge 6: little weight on 'none' and a clear peak on dil_conv_3x3.
    const probs = Array.from({ length: 14 }, (_, e) => (e === 6 ? [0.02, 0.05, 0.05, 0.05, 0.05, 0.05, 0.68, 0.05] : [0.13, 0.12, 0.13, 0.12, 0.13, 0.12, 0.13, 0.12]));
    const state = newSgasCellState(14);
    const { decision } = decideEdge(state, edgeScores(probs, DARTS_OPS, [], 1), DARTS, DARTS_OPS);
    expect(decision.edge).toBe(6);
    expect(decision.opName).toBe('dil_conv_3x3');
  });

  it("without a 'none' op, importance is 1 everywhere and certainty alone decides", () => {
    const ops = DARTS_OPS.filter((op) => op !== 'none');
    const probs = Array.from({ length: 14 }, (_, e) => (e === 9 ? [0.01, 0.01, 0.9, 0.02, 0.02, 0.02, 0.02] : new Array(7).fill(1 / 7)));
    const scores = edgeScores(probs, ops, [], 1);
    expect(scores.importance).toEqual(new Array(14).fill(1));
    const { decision } = decideEdge(newSgasCellState(14), scores, DARTS, ops);
    expect(decision.edge).toBe(9);
    expect(decision.opName).toBe('skip_connect');
  });
});

describe('decisions in the DARTS space (normal + reduce, in-degree pruning)', () => {
  it('each step decides exactly one edge per cell type, never re-decides, never picks none, keeps ≤ 2 inputs per node; 8 steps finish with exactly 2', () => {
    expect(decisionsPerCell(DARTS)).toBe(8);
    const steps = fc.array(fc.tuple(probsArb(14, 8), probsArb(14, 8)), { minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(steps, fc.constantFrom<SgasCriterion>(1, 2), (perStep, criterion) => {
        let cells: Record<string, SgasCellState> = { normal: newSgasCellState(14), reduce: newSgasCellState(14) };
        for (const [normal, reduce] of perStep) {
          const probs: Record<string, number[][]> = { normal, reduce };
          const next: Record<string, SgasCellState> = {};
          for (const key of ['normal', 'reduce']) {
            const before = cells[key];
            const observed = observeEpoch(before, probs[key], DARTS_OPS, criterion);
            const { state, decision } = decideEdge(observed.state, observed.scores, DARTS, DARTS_OPS);
            expect(fixedCount(state)).toBe(fixedCount(before) + 1);
            expect(before.selected[decision.edge]).toBe(UNDECIDED);
            before.selected.forEach((s, e) => {
              if (s !== UNDECIDED) expect(state.selected[e]).toBe(s);
            });
            expect(candidateEdges(state).length).toBeLessThanOrEqual(candidateEdges(before).length - 1);
            expect(DARTS_OPS[decision.op]).not.toBe('none');
            for (const d of inDegrees(state, DARTS).values()) expect(d).toBeLessThanOrEqual(2);
            next[key] = state;
          }
          cells = next;
        }
        for (const state of Object.values(cells)) {
          expect(candidateEdges(state)).toEqual([]);
          expect([...inDegrees(state, DARTS).values()]).toEqual([2, 2, 2, 2]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a decision on a full node prunes its other candidates and only those', () => {
    let state = newSgasCellState(14);
    // Make edges 2 and 3 (node 1, from s0 and s1) the clear winners, one after the other.
    const peaked = (winner: number) => Array.from({ length: 14 }, (_, e) => (e === winner ? [0, 0, 0, 0, 1, 0, 0, 0] : new Array(8).fill(1 / 8)));
    state = decideEdge(state, edgeScores(peaked(2), DARTS_OPS, [], 1), DARTS, DARTS_OPS).state;
    const { state: after, decision } = decideEdge(state, edgeScores(peaked(3), DARTS_OPS, [], 1), DARTS, DARTS_OPS);
    expect(decision.edge).toBe(3);
    expect(decision.pruned).toEqual([4]); // node 1's third input (from node 0)
    expect(after.selected[4]).toBeNull();
    expect(candidateEdges(after)).toEqual([0, 1, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it('refuses a decision when nothing is left to decide', () => {
    const done: SgasCellState = { selected: new Array(14).fill(null), history: [] };
    expect(() => decideEdge(done, edgeScores(new Array(14).fill(new Array(8).fill(1 / 8)), DARTS_OPS, [], 1), DARTS, DARTS_OPS)).toThrow(/already decided/);
  });

  it('the forced genotype has 2 valid, non-none inputs per node and keeps the decided edges', () => {
    fc.assert(
      fc.property(probsArb(14, 8), fc.array(probsArb(14, 8), { minLength: 0, maxLength: 8 }), (probs, earlier) => {
        let state = newSgasCellState(14);
        for (const p of earlier) state = decideEdge(state, edgeScores(p, DARTS_OPS, [], 1), DARTS, DARTS_OPS).state;
        const cell = forcedCell(state, edgeScores(probs, DARTS_OPS, [], 1), DARTS, DARTS_OPS);
        const entries = forcedDartsEntries(cell);
        expect(entries).toHaveLength(8);
        for (let node = 0; node < 4; node++) {
          const mine = cell.filter((f) => f.node === node);
          expect(mine).toHaveLength(2);
          expect(new Set(mine.map((f) => f.source)).size).toBe(2);
          for (const f of mine) expect(f.source).toBeLessThan(node + 2);
        }
        for (const f of cell) expect(f.op).not.toBe('none');
        state.selected.forEach((s, e) => {
          if (s !== null && s >= 0) expect(cell.find((f) => f.edge === e)).toMatchObject({ op: DARTS_OPS[s], decided: true });
          if (s === null) expect(cell.find((f) => f.edge === e)).toBeUndefined();
        });
        expect(dartsEdges().length).toBe(14);
      }),
      { numRuns: 40 },
    );
  });

  it('the state is plain JSON: a round trip through JSON gives the same decisions', () => {
    const probs = Array.from({ length: 14 }, (_, e) => softmax(Array.from({ length: 8 }, (_, k) => Math.sin(e * 8 + k))));
    let state = newSgasCellState(14);
    for (let i = 0; i < 5; i++) state = decideEdge(observeEpoch(state, probs, DARTS_OPS, 2).state, edgeScores(probs, DARTS_OPS, state.history, 2), DARTS, DARTS_OPS).state;
    const copy = JSON.parse(JSON.stringify(state)) as SgasCellState;
    expect(copy).toEqual(state);
    expect(decideEdge(copy, edgeScores(probs, DARTS_OPS, copy.history, 2), DARTS, DARTS_OPS)).toEqual(decideEdge(state, edgeScores(probs, DARTS_OPS, state.history, 2), DARTS, DARTS_OPS));
  });
});

describe('decisions in the NAS-Bench-201 space (one cell type, no in-degree pruning)', () => {
  it('6 decisions, one edge each, none pruned and none picking none; the forced cell is an arch string', () => {
    expect(decisionsPerCell(NB201_TOPOLOGY)).toBe(6);
    fc.assert(
      fc.property(fc.array(probsArb(6, 5), { minLength: 6, maxLength: 6 }), (perStep) => {
        let state = newSgasCellState(6);
        for (const probs of perStep) {
          const scores = edgeScores(probs, NB201_OPS, [], 1);
          const forced = forcedNb201Ops(forcedCell(state, scores, NB201_TOPOLOGY, NB201_OPS));
          expect(forced).not.toContain('none');
          expect(() => formatNb201Arch(forced)).not.toThrow();
          const { state: next, decision } = decideEdge(state, scores, NB201_TOPOLOGY, NB201_OPS);
          expect(decision.pruned).toEqual([]);
          expect(fixedCount(next)).toBe(fixedCount(state) + 1);
          expect(NB201_OPS[decision.op]).not.toBe('none');
          state = next;
        }
        expect(candidateEdges(state)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('Criterion 2', () => {
  /** Probabilities whose edge-0 p̂ is `p0` and every other edge uniform; none's weight fixed at 0.1. */
  const withEdge0 = (p0: number[]) => Array.from({ length: 6 }, (_, e) => [0.1, ...(e === 0 ? p0 : [0.25, 0.25, 0.25, 0.25]).map((x) => 0.9 * x)]);
  const X = [0.7, 0.1, 0.1, 0.1];
  const Y = [0.1, 0.1, 0.1, 0.7];

  it('keeps the newest 4 distributions: a change 5 epochs back is forgotten, 4 epochs back it is not', () => {
    let state = newSgasCellState(6);
    const stabilities: number[] = [];
    const sequence = [X, Y, Y, Y, Y, Y]; // epoch 0 differs, epochs 1–5 agree
    for (const p of sequence) {
      const r = observeEpoch(state, withEdge0(p), NB201_OPS, 2);
      stabilities.push(r.scores.stability?.[0] ?? Number.NaN);
      state = r.state;
    }
    expect(state.history).toHaveLength(4);
    expect(state.history.map((h) => h[0].map((x) => +x.toFixed(12)))).toEqual([Y, Y, Y, Y]);
    // Epoch 4 compares Y with epochs 0–3: (∩(X,Y) + 3)/4 where ∩(X,Y) = 0.1+0.1+0.1+0.1 = 0.4, so 0.85.
    expect(stabilities[4]).toBeCloseTo((0.4 + 3) / 4, 12);
    // Epoch 5 compares with epochs 1–4 only: all Y, so 1.
    expect(stabilities[5]).toBeCloseTo(1, 12);
  });

  it('with an empty history the first decision is Criterion 1’s (not the reference’s first-candidate quirk)', () => {
    const probs = Array.from({ length: 14 }, (_, e) => (e === 11 ? [0.02, 0.02, 0.02, 0.02, 0.8, 0.04, 0.04, 0.04] : new Array(8).fill(1 / 8)));
    const first = observeEpoch(newSgasCellState(14), probs, DARTS_OPS, 2);
    expect(first.scores.stability).toBeNull();
    expect(first.scores.score).toEqual(edgeScores(probs, DARTS_OPS, [], 1).score);
    expect(decideEdge(newSgasCellState(14), first.scores, DARTS, DARTS_OPS).decision.edge).toBe(11);
    expect(first.state.history).toHaveLength(1);
  });

  it('Criterion 1 keeps no history', () => {
    const r = observeEpoch(newSgasCellState(6), withEdge0(X), NB201_OPS, 1);
    expect(r.state.history).toEqual([]);
  });
});

describe('schedule and batch growth', () => {
  it('decision epochs are exactly {9, 14, …, 44} with the defaults, and the search lasts 50 epochs', () => {
    const total = sgasTotalEpochs(9, 5, 8);
    expect(total).toBe(50);
    const epochs = Array.from({ length: total }, (_, e) => e).filter((e) => isDecisionEpoch(e, 9, 5));
    expect(epochs.slice(0, 8)).toEqual([9, 14, 19, 24, 29, 34, 39, 44]);
  });

  it('the batch grows by 8 per decision', () => {
    expect([0, 1, 2, 8].map((d) => batchSizeAfter(64, d))).toEqual([64, 72, 80, 128]);
  });
});
