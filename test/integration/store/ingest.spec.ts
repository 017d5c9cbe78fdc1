import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrainerEvent } from '../../../src/shared/events';
import { Store } from '../../../src/main/store/store';
import { searchConfig, tempDataDir } from './helpers';

const environment = { appVersion: '0.1.0', backend: 'cpu', device: 'CPU (2 cores)', fallbackReason: 'no native build' };
const nb201 = {
  arch: '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|',
  index: 1462,
  cifar10: 94.37,
  cifar100: 73.51,
  imagenet16: 47.31,
  rank: 1,
  percentile: 100,
  gapToOptimum: 0,
};

function epochEvents(epoch: number): TrainerEvent[] {
  const step = (epoch + 1) * 100;
  return [
    { type: 'progress', epoch, epochs: 4, step: 50, stepsPerEpoch: 100 },
    { type: 'metrics', step: step - 50, epoch, values: { train_loss: 2 - epoch * 0.3 } },
    { type: 'metrics', step, epoch, values: { train_loss: 1.9 - epoch * 0.3, val_acc: 0.2 * (epoch + 1), lr: 0.025 } },
    { type: 'snapshot', epoch, kind: 'alpha', payload: { ops: ['a', 'b'], cells: { normal: [[0.5 + epoch / 10, 0.5 - epoch / 10]] } } },
    { type: 'checkpoint', epoch, path: `/runs/1/ckpt-${epoch}`, size: 1000 + epoch, checksum: `sha-${epoch}` },
    { type: 'log', level: 'info', message: `epoch ${epoch} done` },
  ];
}

describe('Store.ingest', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: Store;
  let runId: number;
  beforeEach(() => {
    tmp = tempDataDir();
    store = Store.open(tmp.dbPath);
    runId = store.runs.create(searchConfig({ epochs: 4 }), { id: null, name: 'Fashion-MNIST' });
    store.runs.setStatus(runId, 'running');
  });
  afterEach(() => {
    store.close();
    tmp.dispose();
  });

  it('writes a mixed batch of every event type to its table', () => {
    store.ingest(runId, [{ type: 'environment', environment }, ...epochEvents(0), ...epochEvents(1)], 5000);
    store.ingest(runId, [
      { type: 'error', message: 'Loss is NaN at step 230', hint: 'Lower the learning rate' },
      {
        type: 'result',
        genotype: { normal: [['nor_conv_3x3', 0]] },
        arch: nb201.arch,
        nb201,
        trainAccuracy: 0.5,
        valAccuracy: 0.35,
        seconds: 12,
      },
      { type: 'progress', epoch: 3, epochs: 4, step: 100, stepsPerEpoch: 100 },
    ]);

    const run = store.runs.get(runId)!;
    expect(run.environment).toEqual(environment);
    expect(run.arch).toBe(nb201.arch);
    expect(run.nb201).toEqual(nb201);
    expect(run.genotype).toEqual({ normal: [['nor_conv_3x3', 0]] });
    expect(run.bestAccuracy).toBe(0.4); // the best val_acc point beats the result's 0.35
    expect(run.progress).toBe(1);
    expect(run.lastCheckpointEpoch).toBe(1);

    expect(store.metrics.series(runId)).toEqual({
      lr: [
        [100, 0, 0.025],
        [200, 1, 0.025],
      ],
      train_loss: [
        [50, 0, 2],
        [100, 0, 1.9],
        [150, 1, 1.7],
        [200, 1, 1.5999999999999999],
      ],
      val_acc: [
        [100, 0, 0.2],
        [200, 1, 0.4],
      ],
    });
    expect(store.snapshots.list(runId, 'alpha')).toEqual([
      { epoch: 0, kind: 'alpha', payload: { ops: ['a', 'b'], cells: { normal: [[0.5, 0.5]] } } },
      { epoch: 1, kind: 'alpha', payload: { ops: ['a', 'b'], cells: { normal: [[0.6, 0.4]] } } },
    ]);
    expect(store.snapshots.list(runId, 'genotype')).toEqual([]);
    expect(store.artifacts.latest(runId)).toMatchObject({ kind: 'checkpoint', epoch: 1, path: '/runs/1/ckpt-1', size: 1001 });
    expect(store.artifacts.list(runId)).toHaveLength(2);
    expect(store.logs.list(runId)).toEqual([
      { time: 5000, level: 'info', message: 'epoch 0 done' },
      { time: 5000, level: 'info', message: 'epoch 1 done' },
      expect.objectContaining({ level: 'error', message: 'Loss is NaN at step 230 (Lower the learning rate)' }),
    ]);
  });

  it('keeps the last progress event of a batch', () => {
    store.ingest(runId, epochEvents(0));
    expect(store.runs.summary(runId)!.progress).toBeCloseTo(0.125);
    store.ingest(runId, [...epochEvents(2), ...epochEvents(1)]);
    expect(store.runs.summary(runId)!.progress).toBeCloseTo(0.375);
  });

  it('rolls the whole batch back when one event breaks a constraint', () => {
    store.ingest(runId, epochEvents(0));
    const before = JSON.stringify([store.runs.get(runId), store.metrics.series(runId), store.logs.list(runId), store.artifacts.list(runId)]);
    const bad = { type: 'snapshot', epoch: 1, kind: 'weights', payload: {} } as unknown as TrainerEvent;
    expect(() => store.ingest(runId, [{ type: 'environment', environment }, ...epochEvents(1), bad])).toThrow(/CHECK constraint/);
    const after = JSON.stringify([store.runs.get(runId), store.metrics.series(runId), store.logs.list(runId), store.artifacts.list(runId)]);
    expect(after).toBe(before);
    expect(store.snapshots.list(runId, 'alpha')).toHaveLength(1);
  });

  it('rolls back and names the type of an event it does not know', () => {
    const unknown = { type: 'telemetry', value: 1 } as unknown as TrainerEvent;
    expect(() => store.ingest(runId, [...epochEvents(0), unknown])).toThrow(
      `Cannot store trainer event of type 'telemetry' for run ${runId}; the batch was not saved.`,
    );
    expect(store.metrics.count(runId)).toBe(0);
    expect(store.logs.list(runId)).toEqual([]);
    expect(store.runs.get(runId)!.lastCheckpointEpoch).toBeNull();
  });

  it('refuses events for a run that does not exist', () => {
    expect(() => store.ingest(runId + 1, epochEvents(0))).toThrow(/FOREIGN KEY/);
  });

  it('refuses an async function in store.transaction and rolls its writes back', () => {
    expect(() =>
      store.transaction(async () => {
        store.logs.add(runId, { time: 1, level: 'info', message: 'written before the await' });
      }),
    ).toThrow(/returned a Promise/);
    expect(store.logs.list(runId)).toEqual([]);
  });
});
