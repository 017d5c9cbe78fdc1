import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../../src/main/store/store';
import type { Decision, TrainerEvent } from '../../../src/shared/events';
import { parseSearchConfig } from '../../../src/shared/config';
import { tempDataDir } from './helpers';

// SGAS decisions, SGAS-es early stops, λ_max per epoch and collapse warnings: stored with the run's other
// events (all or nothing per batch), read back in the order they happened, wall and logical epochs kept apart.

const decision = (epoch: number, wallEpoch: number, edge: number): Decision => ({
  epoch,
  wallEpoch,
  cellType: 'cell',
  edge,
  edgeLabel: `0→${edge + 1}`,
  op: 'nor_conv_3x3',
  pruned: [],
  scores: { importance: [0.8, 0.7], certainty: [0.1, 0.2], stability: null, score: [1, 0] },
  reason: 'early-stop',
});

describe('search history in the store', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: Store;
  let runId: number;
  beforeEach(() => {
    tmp = tempDataDir();
    store = Store.open(tmp.dbPath);
    runId = store.runs.create(parseSearchConfig({ dataset: '1', strategy: { name: 'sgas-es' } }), { id: null, name: 'demo' });
  });
  afterEach(() => {
    store.close();
    tmp.dispose();
  });

  it('keeps decisions, early stops and eigenvalues in order, with wall and logical epochs', () => {
    const events: TrainerEvent[] = [
      { type: 'eigenvalue', eigenvalue: { epoch: 0, wallEpoch: 0, lambdaMax: 0.5, localAverage: null, iterations: 7 } },
      { type: 'eigenvalue', eigenvalue: { epoch: 1, wallEpoch: 1, lambdaMax: 0.9, localAverage: 0.7, iterations: 5 } },
      { type: 'early-stop', earlyStop: { epoch: 1, wallEpoch: 1, rollbackTo: 0, reason: 'eigenvalue', ratio: 1.8 } },
      { type: 'decision', decision: decision(0, 1, 3) },
      // After the rollback the logical epoch 1 comes again, at wall epoch 2.
      { type: 'eigenvalue', eigenvalue: { epoch: 1, wallEpoch: 2, lambdaMax: 0.4, localAverage: null, iterations: 6 } },
      { type: 'collapse', collapse: { epoch: 1, wallEpoch: 2, skipShare: 0.5, entropy: 0.9, lambdaMax: 0.4, message: 'Possible collapse at epoch 2: 3 of 6 chosen ops are skip connections.' } },
    ];
    store.ingest(runId, events);
    // Replayed (a spool after a disk fault): nothing is stored twice.
    store.ingest(runId, events);
    const h = store.searchHistory.get(runId);
    expect(h.eigenvalues.map((e) => [e.wallEpoch, e.epoch, e.lambdaMax, e.localAverage])).toEqual([
      [0, 0, 0.5, null],
      [1, 1, 0.9, 0.7],
      [2, 1, 0.4, null],
    ]);
    expect(h.earlyStops).toEqual([{ epoch: 1, wallEpoch: 1, rollbackTo: 0, reason: 'eigenvalue', ratio: 1.8 }]);
    expect(h.decisions).toEqual([decision(0, 1, 3)]);
    expect(store.runs.summary(runId)!.collapseWarning).toMatch(/3 of 6 chosen ops are skip connections/);
    expect(store.runs.list({})[0]!.collapseWarning).toMatch(/skip connections/);
  });

  it('stores nothing of a batch with an invalid event, and a deleted run takes its history with it', () => {
    const bad = { type: 'eigenvalue', eigenvalue: { epoch: 0, wallEpoch: 0, lambdaMax: null, localAverage: null, iterations: 1 } } as unknown as TrainerEvent;
    expect(() => store.ingest(runId, [{ type: 'decision', decision: decision(0, 0, 1) }, bad])).toThrow();
    expect(store.searchHistory.get(runId)).toEqual({ decisions: [], earlyStops: [], eigenvalues: [] });
    store.ingest(runId, [{ type: 'decision', decision: decision(0, 0, 1) }]);
    store.runs.delete(runId);
    expect(store.db.prepare('SELECT count(*) AS n FROM decisions').get()).toEqual({ n: 0 });
  });
});
