// SGAS-es early stop inside a decision phase (ALGORITHMS.md §4.2): RobustDARTS's EVLocalAvg with the SGAS-es
// defaults. The tracker is plain JSON (it goes into checkpoints) and is recreated at the start of every phase,
// so no local average ever mixes eigenvalues of two phases.

export interface EarlyStopOptions {
  /** Local-average window w (SGAS-es: 3). */
  window: number;
  /** Lag δ, in local averages, of the ratio test (4). */
  delta: number;
  /** Stop when LA[last] / LA[last − δ] > factor (1.3). */
  factor: number;
  /** Epochs at the start of each phase before a stop may point (es_start_epoch, 0). */
  startEpoch: number;
  /** Epochs between two eigenvalues (ev_freq, 1). */
  evFreq?: number;
}

export const SGAS_ES_EARLY_STOP: EarlyStopOptions = { window: 3, delta: 4, factor: 1.3, startEpoch: 0, evFreq: 1 };

export interface LocalAverage {
  /** Epoch the average is attributed to: la(t) = t − ⌊w/2⌋·evFreq, the centre of its window. */
  epoch: number;
  /** Epoch at which it was computed (t). */
  computedAt: number;
  value: number;
}

export interface EarlyStopFire {
  /** Epoch t whose eigenvalue triggered the stop. */
  epoch: number;
  /** Epoch to roll back to and decide at: la(t) − δ·evFreq. */
  stopEpoch: number;
  /** LA[last] / LA[last − δ]. */
  ratio: number;
}

export interface EigenTrackerState {
  /** First epoch of the phase. */
  phaseStart: number;
  /** The phase's last planned epoch (a forced decision happens there anyway, so it gets no stop test). */
  lastPlannedEpoch: number;
  epochs: number[];
  eigenvalues: number[];
  averages: LocalAverage[];
  stop: EarlyStopFire | null;
}

export function newEigenTracker(phaseStart: number, lastPlannedEpoch: number): EigenTrackerState {
  if (lastPlannedEpoch < phaseStart) throw new Error(`A phase starting at epoch ${phaseStart} cannot end at epoch ${lastPlannedEpoch}.`);
  return { phaseStart, lastPlannedEpoch, epochs: [], eigenvalues: [], averages: [], stop: null };
}

/** The local average after the latest eigenvalue, or null while fewer than ⌈w/2⌉ values exist. */
function localAverage(values: readonly number[], window: number): number | null {
  if (values.length < Math.ceil(window / 2)) return null;
  // Fewer than w values: the mean of all; then a sliding window whose start moves one per new value.
  const slice = values.length < window ? values : values.slice(values.length - window);
  return slice.reduce((s, x) => s + x, 0) / slice.length;
}

/**
 * Records λ_max of epoch t and runs the stop test. The test runs at every epoch of the phase except the last
 * planned one, once la(t) − δ·evFreq ≥ phaseStart + startEpoch; it fires when LA[last] / LA[last − δ] > factor
 * with a positive current average (RobustDARTS writes it as previous/current < 1/factor; a non-positive
 * current average is no jump up). With the defaults the first test is at the phase's 6th epoch and points
 * back to its 1st.
 */
export function observeEigenvalue(
  state: EigenTrackerState,
  epoch: number,
  lambdaMax: number,
  options: EarlyStopOptions,
): EigenTrackerState {
  const evFreq = options.evFreq ?? 1;
  if (state.stop) throw new Error(`The early stop already fired at epoch ${state.stop.epoch}; start a new tracker for the next phase.`);
  if (epoch < state.phaseStart) throw new Error(`Epoch ${epoch} is before this phase's start (${state.phaseStart}); start a new tracker after a rollback.`);
  const last = state.epochs[state.epochs.length - 1];
  if (last !== undefined && epoch <= last) throw new Error(`Eigenvalues must come in epoch order: epoch ${epoch} after ${last}.`);
  if (!Number.isFinite(lambdaMax)) throw new Error(`λ_max of epoch ${epoch} is ${lambdaMax}; the Hessian-vector products diverged.`);

  const eigenvalues = [...state.eigenvalues, lambdaMax];
  const next: EigenTrackerState = { ...state, epochs: [...state.epochs, epoch], eigenvalues, averages: state.averages };
  const value = localAverage(eigenvalues, options.window);
  if (value === null) return next;
  const attributed = epoch - Math.floor(options.window / 2) * evFreq;
  next.averages = [...state.averages, { epoch: attributed, computedAt: epoch, value }];

  const stopEpoch = attributed - options.delta * evFreq;
  if (epoch >= state.lastPlannedEpoch || stopEpoch < state.phaseStart + options.startEpoch) return next;
  const previous = next.averages[next.averages.length - 1 - options.delta];
  if (!previous) return next; // fewer than δ + 1 averages (only with a negative startEpoch)
  const ratio = value / previous.value;
  if (value > 0 && previous.value / value < 1 / options.factor) next.stop = { epoch, stopEpoch, ratio };
  return next;
}
