import { INSTANAS_METRICS } from '../../../shared/instanas';
import type { Batch } from '../data/batcher';
import { evaluate } from './one-shot';
import type { Emit } from './one-shot-types';
import { distinctPolicies, evaluateGreedy, policySnapshot } from './instanas-evaluation';
import { latencyWindow, meanStd } from './instanas-policy';
import { keepProbability, type VariantRecord } from './instanas-state';
import { recalibrateBaseline, recalibrateController, recalibrateMetaGraph, type InstanasParts } from './instanas-steps';

// The end of an InstaNAS epoch (ALGORITHMS.md §6): the networks' BN statistics re-estimated for their weights,
// validation (all ops on in pretraining, the controller's greedy policies in the search, the baseline after),
// the epoch's metrics, the search's policy snapshot, and one log line.

export type SearchEpochFigures = Omit<VariantRecord, 'epoch' | 'checkpoint'>;

export interface EpochParts extends InstanasParts {
  readonly ctx: { emit: Emit };
  evalBatches(): Iterable<Batch>;
}

const pct = (fraction: number) => `${(100 * fraction).toFixed(2)}%`;

/** Validates, emits and logs the epoch just trained; returns a search epoch's figures (a variant's record). */
export function reportEpoch(s: EpochParts, at: number, seconds: number): SearchEpochFigures | null {
  const { phase, epoch } = s.state;
  const acc = s.state.epochAcc;
  const train = { loss: acc.loss / Math.max(acc.count, 1), acc: acc.correct / Math.max(acc.count, 1) };
  const emitMetrics = (values: Record<string, number>) => s.ctx.emit({ type: 'metrics', step: s.state.globalStep, epoch: at, values });
  const log = (message: string) => s.ctx.emit({ type: 'log', level: 'info', message });
  const base = { epoch_train_loss: train.loss, epoch_train_acc: train.acc, epoch_seconds: seconds };

  if (phase === 'pretrain') {
    recalibrateMetaGraph(s, 'all');
    const val = evaluate(s.graph, s.evalBatches());
    const keep = keepProbability((epoch + 1) / s.options.pretrainEpochs); // where the epoch ended
    emitMetrics({ ...base, val_loss: val.loss, val_acc: val.accuracy, [INSTANAS_METRICS.keepProb]: keep });
    s.state.lastAccuracy = { train: train.acc, val: val.accuracy };
    log(`pretraining epoch ${epoch + 1}/${s.options.pretrainEpochs} (keep ${keep.toFixed(2)}): train acc ${pct(train.acc)}, val acc (all ops) ${pct(val.accuracy)}`);
    return null;
  }

  if (phase === 'search') {
    recalibrateController(s);
    recalibrateMetaGraph(s, 'greedy');
    const latency = s.state.latency!;
    const e = evaluateGreedy(s.graph, s.controller, s.evalBatches(), latency.table);
    const lat = meanStd(e.latencies);
    const window = latencyWindow(epoch, s.options.epochs, latency, s.options.latencyWindow);
    const c = s.state.controller;
    const reward = c.reward / Math.max(c.count, 1);
    const distinct = distinctPolicies(e);
    const M = INSTANAS_METRICS;
    emitMetrics({
      ...base,
      val_loss: e.loss,
      val_acc: e.accuracy,
      [M.reward]: reward,
      [M.greedyReward]: c.greedyReward / Math.max(c.count, 1),
      [M.policyAccuracy]: e.accuracy,
      [M.meanLatency]: lat.mean,
      [M.stdLatency]: lat.std,
      [M.windowLow]: window.lb,
      [M.windowHigh]: window.ub,
      [M.distinctPolicies]: distinct,
      [M.entropy]: c.entropy / Math.max(c.count, 1),
      controller_loss: c.loss / Math.max(c.batches, 1),
    });
    s.ctx.emit({ type: 'snapshot', epoch: at, kind: 'policy', payload: policySnapshot(e, s.graph.blocks.length) });
    s.state.lastAccuracy = { train: train.acc, val: e.accuracy };
    log(
      `search epoch ${epoch + 1}/${s.options.epochs}: val acc ${pct(e.accuracy)} at ${lat.mean.toFixed(2)} ± ${lat.std.toFixed(2)} ms (window ${window.lb.toFixed(2)}–${window.ub.toFixed(2)} ms), reward ${reward.toFixed(2)}, ${distinct} distinct policies`,
    );
    return { valAccuracy: e.accuracy, meanLatency: lat.mean, stdLatency: lat.std, distinct };
  }

  recalibrateBaseline(s);
  const val = evaluate(s.baseline, s.evalBatches());
  emitMetrics({ baseline_train_loss: train.loss, baseline_train_acc: train.acc, baseline_val_loss: val.loss, baseline_val_acc: val.accuracy, epoch_seconds: seconds });
  log(`baseline epoch ${epoch + 1}/${s.options.pretrainEpochs + s.options.epochs}: train acc ${pct(train.acc)}, val acc ${pct(val.accuracy)}`);
  return null;
}
