import type { SearchConfig } from '../../../shared/config';
import type { Nb201Score, SearchSummary, TrainerEvent } from '../../../shared/events';
import type { OneShotTrainingOptions } from '../../../shared/strategies/one-shot-options';
import type { BatcherState } from '../data/batcher';
import type { EdgeSelection } from '../spaces/registry';
import type { CollapseMonitorState } from './collapse';

// The shapes the one-shot engine (DartsSearch and the strategies built on it) works with.

export type DartsConfig = Pick<SearchConfig, 'batchSize' | 'seed' | 'trainPortion' | 'augment'> &
  OneShotTrainingOptions & {
    /** Planned epochs (the cosine period). */
    epochs: number;
    /** Resolved gradient checkpointing (the job turns 'auto' into on/off for the model and backend). */
    recompute?: boolean;
    /** Track λ_max each epoch as a collapse indicator. */
    lambdaMax?: boolean;
    hessianIters?: number;
  };

/** What the search needs from its space beyond the supernet. */
export interface DartsSearchOptions {
  /** The ops of the current discrete cell (the normal cell in the DARTS space), for the collapse indicator. */
  cellOps?: (weights: Record<string, number[][]>, ops: readonly string[]) => string[];
  /** The table score of a cell's ops (NAS-Bench-201 space only): the per-epoch benchmark curve. */
  scoreCell?: (ops: string[]) => Nb201Score | null;
  /** The run's whole config: saved in checkpoints, and a resume under another config is refused. */
  runConfig?: SearchConfig;
}

export interface DartsState {
  version: 1;
  epoch: number;
  /** Step within the epoch (a checkpoint taken mid-epoch on pause). */
  stepInEpoch: number;
  globalStep: number;
  train: BatcherState;
  val: BatcherState;
  adam: Record<string, number>;
  epochAcc: { loss: number; correct: number; count: number };
  /** Accuracies of the last finished epoch, so a resume (even from the final checkpoint) reports them. */
  lastAccuracy?: { train: number; val: number };
  /** A subclass's own state (SGAS decisions, the eigenvalue tracker), plain JSON. */
  extra?: unknown;
  /** Epochs trained, including those an SGAS-es rollback discarded (the logical `epoch` repeats then). */
  wallEpoch?: number;
  collapse?: CollapseMonitorState;
  /** The config of the run that wrote the checkpoint (absent in checkpoints of older versions). */
  runConfig?: SearchConfig;
}

export interface SearchControl {
  /** Polled between steps; 'pause' saves a checkpoint at the current step and returns. */
  interrupt(): 'pause' | 'stop' | null;
}

export type Emit = (event: TrainerEvent) => void;

export interface DartsOutcome {
  status: 'completed' | 'paused' | 'stopped';
  /** Column names of the weights. */
  ops: string[];
  weights: Record<string, number[][]>;
  trainAccuracy: number;
  valAccuracy: number;
  /** Logical epochs: where the search stands (an SGAS-es rollback goes back). */
  epochsDone: number;
  /** Every epoch trained, those a rollback discarded included. */
  wallEpochs: number;
  /** Edges a strategy decided itself (SGAS): the architecture is read from here instead of from α. */
  selection?: EdgeSelection;
  /** What a sampling strategy reports with its result (evaluations, the signal used, notes). */
  summary?: SearchSummary;
}

export class NonFiniteLossError extends Error {
  readonly hint = 'Lower the weight learning rate (wLr) or the batch size, or check the dataset for corrupt images.';
  constructor(loss: number, epoch: number, step: number) {
    super(`The training loss became ${loss} at epoch ${epoch + 1}, step ${step + 1}: the search diverged.`);
  }
}
