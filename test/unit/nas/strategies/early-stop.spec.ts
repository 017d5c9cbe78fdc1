/**
 * SGAS-es early stop (ALGORITHMS.md §4.2, §9 SGAS-es properties 3 and 4). The expected stop epochs are worked
 * out by hand from the rule's text in each test's comment; the tests never re-run the formula.
 * Rule, defaults w = 3, δ = 4, f = 1.3, es_start = 0, ev_freq = 1: from the 2nd eigenvalue of the phase on,
 * append a local average (mean of all values while fewer than 3, then of the last 3), attributed to epoch
 * t − 1; at epoch t (not the phase's last planned one) with (t − 1) − 4 ≥ phaseStart, stop when
 * LA[last] / LA[last − 4] > 1.3, and roll back to stop_epoch = t − 5.
 */
import { describe, expect, it } from 'vitest';
import {
  SGAS_ES_EARLY_STOP,
  newEigenTracker,
  observeEigenvalue,
  type EarlyStopOptions,
  type EigenTrackerState,
} from '../../../../src/main/nas/strategies/early-stop';

/** Feeds `values` at epochs phaseStart, phaseStart + 1, … until the stop fires; returns the tracker. */
function run(values: number[], phaseStart: number, lastPlannedEpoch: number, options: EarlyStopOptions = SGAS_ES_EARLY_STOP): EigenTrackerState {
  let t = newEigenTracker(phaseStart, lastPlannedEpoch);
  for (let i = 0; i < values.length && !t.stop; i++) t = observeEigenvalue(t, phaseStart + i, values[i], options);
  return t;
}

describe('EVLocalAvg stop rule (w = 3, δ = 4, f = 1.3)', () => {
  it('a step from 1 to 2 at the phase’s 8th epoch stops there and rolls back to its 3rd', () => {
    // Phase from epoch 20: λ = 1 at epochs 20–26, 2 from epoch 27 (i = 7 in the phase).
    // Averages (computed at t → value): 21…26 → 1; 27 → (1+1+2)/3 = 4/3; 28 → 5/3.
    // At t = 27 the average four entries back (computed at 23) is 1: 4/3 > 1.3, so the stop fires at t = 27,
    // attributed to 26, and stop_epoch = 26 − 4 = 22.
    const t = run([1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2], 20, 34);
    expect(t.stop).toEqual({ epoch: 27, stopEpoch: 22, ratio: expect.closeTo(4 / 3, 12) });
    expect(t.averages.map((a) => a.epoch)).toEqual([20, 21, 22, 23, 24, 25, 26]);
  });

  it('with f = 1.4 the same step waits one more epoch for its second value in the window', () => {
    // 4/3 ≈ 1.333 < 1.4 at t = 27; at t = 28 the average is 5/3 ≈ 1.667 > 1.4 against 1 (computed at 24):
    // stop at 28, stop_epoch = 27 − 4 = 23.
    const t = run([1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2], 20, 34, { ...SGAS_ES_EARLY_STOP, factor: 1.4 });
    expect(t.stop).toMatchObject({ epoch: 28, stopEpoch: 23 });
  });

  it('λ_t = 1.2^t stops at the first epoch the rule allows (the phase’s 6th) and rolls back to the phase start', () => {
    // The first test is at i = 5 (la = 4, 4 − δ = 0 ≥ 0). LA[last] = mean(1.2³, 1.2⁴, 1.2⁵) ≈ 2.097 and
    // LA[last − 4] = mean(1, 1.2) = 1.1: ratio ≈ 1.91 > 1.3.
    const values = Array.from({ length: 15 }, (_, i) => 1.2 ** i);
    const t = run(values, 0, 14);
    expect(t.stop).toMatchObject({ epoch: 5, stopEpoch: 0 });
    const late = run(values, 40, 54);
    expect(late.stop).toMatchObject({ epoch: 45, stopEpoch: 40 });
  });

  it('es_start delays the first test: with es_start = 3 the rising series stops at the phase’s 9th epoch', () => {
    // Tests need (t − 1) − 4 ≥ 0 + 3, so t ≥ 8; the series still rises, so it fires at 8 with stop_epoch 3.
    const t = run(Array.from({ length: 15 }, (_, i) => 1.2 ** i), 0, 14, { ...SGAS_ES_EARLY_STOP, startEpoch: 3 });
    expect(t.stop).toMatchObject({ epoch: 8, stopEpoch: 3 });
  });

  it('never stops on a flat, a falling or a slowly rising series', () => {
    expect(run(new Array(15).fill(0.37), 0, 14).stop).toBeNull();
    expect(run(Array.from({ length: 15 }, (_, i) => 5 * 0.8 ** i), 0, 14).stop).toBeNull();
    // +5 % per epoch: over 4 epochs 1.05⁴ ≈ 1.22 < 1.3.
    expect(run(Array.from({ length: 15 }, (_, i) => 1.05 ** i), 0, 14).stop).toBeNull();
  });

  it('the phase’s last planned epoch gets no test', () => {
    // The step series would fire at 27 (first test); with the phase planned to end at 27 nothing fires there.
    const t = run([1, 1, 1, 1, 1, 1, 1, 2], 20, 27);
    expect(t.stop).toBeNull();
    expect(t.averages).toHaveLength(7); // the average is still recorded for the curve
  });

  it('a new phase starts a new tracker: no average mixes eigenvalues of two phases', () => {
    const first = run([5, 5, 5, 5, 5, 5, 5, 50], 0, 14); // fires at 7 → stop_epoch 2
    expect(first.stop).toMatchObject({ epoch: 7, stopEpoch: 2 });
    expect(() => observeEigenvalue(first, 8, 1, SGAS_ES_EARLY_STOP)).toThrow(/new tracker/);
    // Rollback to 2, next phase from 3: its first average is the mean of its own first two values only.
    let next = newEigenTracker(3, 17);
    next = observeEigenvalue(next, 3, 1, SGAS_ES_EARLY_STOP);
    expect(next.averages).toEqual([]);
    next = observeEigenvalue(next, 4, 2, SGAS_ES_EARLY_STOP);
    expect(next.averages).toEqual([{ epoch: 3, computedAt: 4, value: 1.5 }]);
    expect(() => observeEigenvalue(newEigenTracker(3, 17), 2, 1, SGAS_ES_EARLY_STOP)).toThrow(/before this phase/);
  });

  it('the tracker is plain JSON and continues identically after a round trip', () => {
    const values = [1, 1, 1, 1, 1, 1, 1, 2];
    const mid = run(values.slice(0, 5), 20, 34);
    const copy = JSON.parse(JSON.stringify(mid)) as EigenTrackerState;
    expect(copy).toEqual(mid);
    let a = mid;
    let b = copy;
    for (let i = 5; i < values.length; i++) {
      a = observeEigenvalue(a, 20 + i, values[i], SGAS_ES_EARLY_STOP);
      b = observeEigenvalue(b, 20 + i, values[i], SGAS_ES_EARLY_STOP);
    }
    expect(b).toEqual(a);
    expect(a.stop).toMatchObject({ epoch: 27 });
  });

  it('refuses out-of-order epochs and non-finite eigenvalues with a reason', () => {
    const t = observeEigenvalue(newEigenTracker(0, 14), 0, 1, SGAS_ES_EARLY_STOP);
    expect(() => observeEigenvalue(t, 0, 1, SGAS_ES_EARLY_STOP)).toThrow(/epoch order/);
    expect(() => observeEigenvalue(t, 1, Number.NaN, SGAS_ES_EARLY_STOP)).toThrow(/diverged/);
  });
});
