import type { SpaceName } from '../spaces/registry';

/** What the app knows about a strategy without loading its implementation (ARCHITECTURE §8). */
export interface StrategyDescriptor {
  name: string;
  label: string;
  /** One sentence for the New-run form. */
  summary: string;
  paper: string;
  spaces: readonly SpaceName[];
  /**
   * one-shot: a supernet trained with per-epoch hooks; sampling: state as plain JSON; evaluation: trains a
   * given architecture from scratch (a retrain run, not a search).
   */
  family: 'one-shot' | 'sampling' | 'evaluation';
  snapshotKinds: readonly string[];
  eventKinds: readonly string[];
  /**
   * Present when the strategy can run on the NAS-Bench-201 table instead of training (a dry run): the option
   * that counts table queries there.
   */
  tableBudget?: 'epochs' | 'samples';
  /** Training settings whose common default does not suit this strategy (the New-run form starts from these). */
  commonDefaults?: { batchSize?: number };
  /**
   * Present when the strategy trains on one thread whatever the run's `threads` setting: why, in the user's
   * words (shown beside the Threads field of the New-run form and logged by the run).
   */
  singleThreadReason?: string;
  /**
   * What is wrong with these options in this space, beyond the options schema (a retrain's architecture must
   * belong to the space); null when they fit. Checked with the whole run config, so runs.create refuses it.
   */
  optionsProblem?: (options: Record<string, unknown>, space: { name: string; nodes?: number }) => { field: string; message: string } | null;
}
