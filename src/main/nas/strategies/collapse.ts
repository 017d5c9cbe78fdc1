import type { Collapse } from '../../../shared/events';

// The collapse indicator every one-shot search shows (ALGORITHMS.md §4 applied beyond SGAS-es): the
// share of skip connections in the current cell, the mean α entropy, and λ_max's trend. A warning is raised
// when a signal crosses its threshold, once per signal, so the log and the runs list are not flooded.

/** DARTS collapse fills the normal cell with parameter-free skips; half of the chosen ops is the alarm… */
export const SKIP_SHARE_ALARM = 0.5;
/** …once it has lasted this many epochs: while α is still near uniform the argmax flips from epoch to epoch. */
export const SKIP_PERSIST_EPOCHS = 3;
/**
 * λ_max's rise that Zela et al. and SGAS-es treat as the onset of collapse: the local average (window 3)
 * grew by more than 1.3× over 4 epochs. Single values are too noisy to compare (a finite-difference λ_max of
 * a small supernet swings by 10× from one epoch to the next).
 */
export const LAMBDA_WINDOW = 3;
export const LAMBDA_FACTOR = 1.3;
export const LAMBDA_DELTA = 4;

export interface CollapseMonitorState {
  lambdas: number[];
  raised: string[];
  /** Consecutive epochs with the skip share at or above the alarm. */
  skipStreak?: number;
}

function localAverages(values: readonly number[], window: number): number[] {
  return values.slice(window - 1).map((_, i) => values.slice(i, i + window).reduce((s, x) => s + x, 0) / window);
}

/** Mean normalised entropy of the rows (1 = uniform, 0 = one-hot). */
export function meanRowEntropy(rows: readonly (readonly number[])[]): number {
  if (rows.length === 0) return 0;
  let total = 0;
  for (const row of rows) {
    const n = row.length;
    if (n < 2) continue;
    let h = 0;
    for (const p of row) if (p > 0) h -= p * Math.log(p);
    total += h / Math.log(n);
  }
  return total / rows.length;
}

export class CollapseMonitor {
  private state: CollapseMonitorState = { lambdas: [], raised: [] };

  /** Forget λ_max's history (its dimension changed: SGAS decided an edge). Raised warnings stay raised. */
  resetLambdas(): void {
    this.state.lambdas = [];
  }

  save(): CollapseMonitorState {
    return { lambdas: [...this.state.lambdas], raised: [...this.state.raised], skipStreak: this.state.skipStreak ?? 0 };
  }

  load(state: CollapseMonitorState | undefined): void {
    this.state = state ? { lambdas: [...state.lambdas], raised: [...state.raised], skipStreak: state.skipStreak ?? 0 } : { lambdas: [], raised: [], skipStreak: 0 };
  }

  /**
   * One epoch's signals: `chosenOps` is the current discrete cell (normal cell in the DARTS space),
   * `alphaRows` the undecided rows of softmax(α). Returns the warning to raise, if a new signal fired.
   */
  observe(epoch: number, wallEpoch: number, chosenOps: readonly string[], alphaRows: readonly (readonly number[])[], lambdaMax: number | null): Collapse | null {
    const skipShare = chosenOps.length ? chosenOps.filter((op) => op === 'skip_connect').length / chosenOps.length : 0;
    const entropy = meanRowEntropy(alphaRows);
    if (lambdaMax !== null) this.state.lambdas.push(lambdaMax);
    const fired: Array<[string, string]> = [];
    this.state.skipStreak = skipShare >= SKIP_SHARE_ALARM ? (this.state.skipStreak ?? 0) + 1 : 0;
    if (this.state.skipStreak >= SKIP_PERSIST_EPOCHS) {
      fired.push([
        'skip',
        `${Math.round(skipShare * chosenOps.length)} of ${chosenOps.length} chosen ops are skip connections, for ${this.state.skipStreak} epochs in a row: the usual sign of a collapsing one-shot search`,
      ]);
    }
    const averages = localAverages(this.state.lambdas, LAMBDA_WINDOW);
    if (averages.length > LAMBDA_DELTA) {
      const now = averages[averages.length - 1];
      const before = averages[averages.length - 1 - LAMBDA_DELTA];
      if (before > 0 && now / before > LAMBDA_FACTOR) {
        fired.push([
          'lambda',
          `λ_max's ${LAMBDA_WINDOW}-epoch average rose ${(now / before).toFixed(2)}× in ${LAMBDA_DELTA} epochs (${before.toPrecision(3)} → ${now.toPrecision(3)}): the search is heading for a sharp, collapse-prone region`,
        ]);
      }
    }
    const fresh = fired.filter(([kind]) => !this.state.raised.includes(kind));
    if (fresh.length === 0) return null;
    this.state.raised.push(...fresh.map(([kind]) => kind));
    return { epoch, wallEpoch, skipShare, entropy, lambdaMax, message: `Possible collapse at epoch ${epoch + 1}: ${fresh.map(([, m]) => m).join('; ')}.` };
  }
}
