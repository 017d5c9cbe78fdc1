import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunDetailSchema, RunSummarySchema } from '../../../src/shared/api';
import { INTERRUPTED_RUN_ERROR } from '../../../src/main/store/run-repository';
import { Store } from '../../../src/main/store/store';
import { searchConfig, tempDataDir } from './helpers';

const fashion = {
  name: 'Fashion-MNIST',
  format: 'idx',
  location: '/usr/share/fashion-mnist',
  shape: [28, 28, 1],
  classes: 10,
  trainCount: 60000,
  testCount: 10000,
  classCounts: Array(10).fill(6000),
  checksum: 'sha256:abc',
};

describe('RunRepository', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: Store;
  beforeEach(() => {
    tmp = tempDataDir();
    store = Store.open(tmp.dbPath);
  });
  afterEach(() => {
    store.close();
    tmp.dispose();
  });

  it('creates a queued run and reads it back in the RunDetail shape, config whole', () => {
    const dataset = store.datasets.add(fashion);
    const config = searchConfig({ name: 'First search', seed: 7, space: 'darts', channels: 8 });
    const id = store.runs.create(config, dataset, { createdAt: 1000 });
    const run = store.runs.get(id)!;
    expect(RunDetailSchema.parse(run)).toEqual(run);
    expect(run).toMatchObject({
      id,
      kind: 'search',
      name: 'First search',
      status: 'queued',
      strategy: 'darts',
      space: 'darts',
      datasetName: 'Fashion-MNIST',
      seed: 7,
      createdAt: 1000,
      startedAt: null,
      finishedAt: null,
      bestAccuracy: null,
      progress: 0,
      error: null,
      environment: null,
      arch: null,
      genotype: null,
      nb201: null,
      lastCheckpointEpoch: null,
      resumable: false,
    });
    expect(run.config).toEqual(config);
    expect(RunSummarySchema.parse(store.runs.summary(id))).toEqual(store.runs.summary(id));
    expect(store.runs.get(id + 1)).toBeNull();
  });

  it('names an unnamed run after strategy, space and dataset, and records lineage', () => {
    const search = store.runs.create(searchConfig(), { id: null, name: 'MNIST' });
    expect(store.runs.get(search)!.name).toBe('darts · nb201 · MNIST');
    const retrain = store.runs.create(searchConfig(), { id: null, name: 'MNIST' }, { kind: 'retrain', parentId: search });
    expect(store.runs.get(retrain)!.kind).toBe('retrain');
    expect(store.db.prepare('SELECT parent_id FROM runs WHERE id = ?').pluck().get(retrain)).toBe(search);
  });

  it('keeps the dataset name on the run after the dataset is deleted', () => {
    const dataset = store.datasets.add(fashion);
    const id = store.runs.create(searchConfig(), dataset);
    expect(store.datasets.delete(dataset.id)).toBe(true);
    expect(store.datasets.list()).toEqual([]);
    expect(store.runs.get(id)!.datasetName).toBe('Fashion-MNIST');
  });

  it('sets start and finish times with the status, and clears them when a run is resumed', () => {
    const id = store.runs.create(searchConfig(), { id: null, name: 'd' });
    store.runs.setStatus(id, 'running', {}, 100);
    expect(store.runs.summary(id)).toMatchObject({ status: 'running', startedAt: 100, finishedAt: null });
    store.runs.setStatus(id, 'failed', { error: 'Out of memory' }, 200);
    expect(store.runs.summary(id)).toMatchObject({ status: 'failed', startedAt: 100, finishedAt: 200, error: 'Out of memory' });
    store.runs.setStatus(id, 'running', {}, 300);
    expect(store.runs.summary(id)).toMatchObject({ status: 'running', startedAt: 100, finishedAt: null, error: null });
    store.runs.setStatus(id, 'completed', { finishedAt: 450 }, 400);
    expect(store.runs.summary(id)).toMatchObject({ status: 'completed', finishedAt: 450, error: null });
    expect(store.runs.setStatus(9999, 'running')).toBe(false);
  });

  it('clamps progress to 0..1 and ignores a non-finite value', () => {
    const id = store.runs.create(searchConfig(), { id: null, name: 'd' });
    store.runs.updateProgress(id, 0.25);
    store.runs.updateProgress(id, Number.NaN);
    expect(store.runs.summary(id)!.progress).toBe(0.25);
    store.runs.updateProgress(id, 1.5);
    expect(store.runs.summary(id)!.progress).toBe(1);
  });

  it('marks runs left running as failed, returns their ids, and leaves the rest alone', () => {
    const make = () => store.runs.create(searchConfig(), { id: null, name: 'd' });
    const [a, b, c, d] = [make(), make(), make(), make()];
    store.runs.setStatus(a!, 'running', {}, 10);
    store.runs.setStatus(b!, 'running', {}, 10);
    store.runs.setStatus(c!, 'paused', {}, 10);
    expect(store.runs.runningIds()).toEqual([a, b]);
    expect(store.runs.markInterrupted(500)).toEqual([a, b]);
    expect(store.runs.summary(a!)).toMatchObject({ status: 'failed', error: INTERRUPTED_RUN_ERROR, finishedAt: 500 });
    expect(store.runs.summary(c!)!.status).toBe('paused');
    expect(store.runs.summary(d!)!.status).toBe('queued');
    expect(store.runs.markInterrupted()).toEqual([]);
  });

  it('is resumable when a checkpoint exists and the run is paused, failed or cancelled', () => {
    const id = store.runs.create(searchConfig(), { id: null, name: 'd' });
    store.runs.setStatus(id, 'running');
    store.artifacts.add(id, { kind: 'checkpoint', epoch: 4, path: '/x/ckpt-4', size: 10, checksum: 'c4' });
    expect(store.runs.get(id)).toMatchObject({ lastCheckpointEpoch: 4, resumable: false });
    store.runs.setStatus(id, 'paused');
    expect(store.runs.get(id)!.resumable).toBe(true);
    store.runs.setStatus(id, 'completed');
    expect(store.runs.get(id)!.resumable).toBe(false);
  });

  it('deletes a run with everything that hangs off it', () => {
    const id = store.runs.create(searchConfig(), { id: null, name: 'd' });
    store.ingest(id, [
      { type: 'metrics', step: 1, epoch: 0, values: { train_loss: 2 } },
      { type: 'snapshot', epoch: 0, kind: 'alpha', payload: { ops: [], cells: {} } },
      { type: 'checkpoint', epoch: 0, path: '/c', size: 1, checksum: 'x' },
      { type: 'log', level: 'info', message: 'hi' },
    ]);
    store.db.prepare('INSERT INTO tags (run_id, tag) VALUES (?, ?)').run(id, 'baseline');
    store.db.prepare('INSERT INTO notes (run_id, text, created_at) VALUES (?, ?, 0)').run(id, 'a note');
    expect(store.runs.delete(id)).toBe(true);
    expect(store.runs.delete(id)).toBe(false);
    for (const table of ['metrics', 'snapshots', 'artifacts', 'logs', 'tags', 'notes']) {
      expect(store.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get(), table).toBe(0);
    }
  });
});

describe('training time', () => {
  it('counts only the spans spent running: pauses, queueing and app downtime are excluded', () => {
    const tmp = tempDataDir();
    const store = Store.open(tmp.dbPath);
    try {
      const id = store.runs.create(searchConfig(), { id: null, name: 'demo' });
      expect(store.runs.summary(id)!.activeMs).toBe(0);
      store.runs.setStatus(id, 'running', {}, 1_000);
      expect(store.runs.summary(id)!.runningSince).toBe(1_000);
      store.runs.setStatus(id, 'paused', {}, 3_000); // 2 s of training
      store.runs.setStatus(id, 'queued', {}, 50_000); // paused for 47 s, then queued
      store.runs.setStatus(id, 'running', {}, 60_000); // 10 s in the queue
      store.runs.setStatus(id, 'completed', {}, 60_500); // 0.5 s more
      const s = store.runs.summary(id)!;
      expect(s.activeMs).toBe(2_500);
      expect(s.runningSince).toBeNull();

      // An app that dies mid-run: the span ends at the run's last log line, not at the next start-up.
      const crashed = store.runs.create(searchConfig(), { id: null, name: 'demo' });
      store.runs.setStatus(crashed, 'running', {}, Date.now() - 100_000);
      store.logs.add(crashed, { time: Date.now() - 90_000, level: 'info', message: 'epoch 1 done' });
      expect(store.runs.markInterrupted()).toEqual([crashed]);
      expect(store.runs.summary(crashed)!.activeMs).toBe(10_000);
    } finally {
      store.close();
      tmp.dispose();
    }
  });
});
