import { describe, expect, it } from 'vitest';
import type { TrainerEvent } from '../../../src/shared/events';
import { createSearchHistory } from '../../../src/renderer/src/stores/search-history';

// The run view's search history takes live events once: events replayed after a (re)load are skipped.

const eigen = (epoch: number, wallEpoch: number): TrainerEvent => ({ type: 'eigenvalue', eigenvalue: { epoch, wallEpoch, lambdaMax: 1 + wallEpoch, localAverage: null, iterations: 4 } });
const decision = (wallEpoch: number, edge: number): TrainerEvent => ({
  type: 'decision',
  decision: { epoch: wallEpoch, wallEpoch, cellType: 'cell', edge, edgeLabel: `e${edge}`, op: 'skip_connect', pruned: [], scores: { importance: [1], certainty: [1], stability: null, score: [1] }, reason: 'schedule' },
});

describe('search history', () => {
  it('keeps each decision, eigenvalue and early stop once, including after a rollback repeats logical epochs', () => {
    const h = createSearchHistory();
    for (const e of [eigen(0, 0), eigen(1, 1), eigen(1, 1), eigen(1, 2), decision(1, 3), decision(1, 3), decision(1, 4)]) expect(h.apply(e)).toBe(true);
    const stop: TrainerEvent = { type: 'early-stop', earlyStop: { epoch: 2, wallEpoch: 2, rollbackTo: 1, reason: 'eigenvalue', ratio: 1.4 } };
    h.apply(stop);
    h.apply(stop);
    expect(h.eigenvalues.value.map((e) => e.wallEpoch)).toEqual([0, 1, 2]);
    expect(h.decisions.value.map((d) => d.edge)).toEqual([3, 4]);
    expect(h.earlyStops.value).toHaveLength(1);
  });

  it('follows the forced genotype and the latest collapse warning, and leaves other events to the run store', () => {
    const h = createSearchHistory();
    expect(h.apply({ type: 'snapshot', epoch: 0, kind: 'genotype', payload: ['none'] })).toBe(false); // a plain result genotype
    const payload = { genotype: ['skip_connect'], decided: { cell: [null] }, forced: true };
    expect(h.apply({ type: 'snapshot', epoch: 1, kind: 'genotype', payload })).toBe(true);
    expect(h.forced.value).toEqual({ epoch: 1, payload });
    h.apply({ type: 'collapse', collapse: { epoch: 1, wallEpoch: 1, skipShare: 0.8, entropy: 0.2, lambdaMax: null, message: 'skip takes over' } });
    expect(h.collapse.value?.message).toBe('skip takes over');
    expect(h.apply({ type: 'log', level: 'info', message: 'x' })).toBe(false);
    h.reset();
    expect([h.decisions.value.length, h.eigenvalues.value.length, h.forced.value, h.collapse.value]).toEqual([0, 0, null, null]);
  });
});
