import { EPOCH_BENCHMARK_METRICS, TRAJECTORY_METRICS } from '../shared/benchmark-metrics';
import type { Decision, EarlyStop, Eigenvalue, TrainerEvent } from '../shared/events';

// What `nas-studio search` prints while it runs (stderr) and collects for the final JSON (stdout).

/** Progress on stderr: one rewritten line on a terminal, a plain line every 10 s in a log file. */
export function progressPrinter(json: boolean): (e: TrainerEvent) => void {
  let lastLine = 0;
  const tty = Boolean(process.stderr.isTTY);
  let progressShown = false;
  const line = (text: string) => {
    // A progress line rewritten in place must end before a normal line is written.
    process.stderr.write(`${progressShown && tty ? '\n' : ''}${text}\n`);
    progressShown = false;
  };
  return (e: TrainerEvent) => {
    switch (e.type) {
      case 'progress': {
        const now = Date.now();
        if (now - lastLine < (tty ? 1000 : 10_000)) return;
        lastLine = now;
        process.stderr.write(`epoch ${e.epoch + 1}/${e.epochs}  step ${e.step}/${e.stepsPerEpoch}${tty ? '\r' : '\n'}`);
        progressShown = tty;
        return;
      }
      case 'log':
        // The epoch summary is an info log line; with --json only warnings and errors are printed.
        if (e.level !== 'info' || !json || /^epoch \d+/.test(e.message)) line(`${e.level === 'info' ? '' : `${e.level}: `}${e.message}`);
        return;
      case 'environment':
        line(`backend: ${e.environment.backend} (${e.environment.device})${e.environment.threads ? `, threads: ${e.environment.threads}` : ''}`);
        return;
      case 'decision': {
        const d = e.decision;
        line(`decision (epoch ${d.epoch + 1}, ${d.reason}): ${d.cellType} edge ${d.edgeLabel} → ${d.op}${d.pruned.length ? `; pruned ${d.pruned.length} edge${d.pruned.length > 1 ? 's' : ''}` : ''}`);
        return;
      }
      case 'eigenvalue': {
        const v = e.eigenvalue;
        line(`λ_max (epoch ${v.epoch + 1}): ${v.lambdaMax.toPrecision(4)}${v.localAverage === null ? '' : `, local average ${v.localAverage.toPrecision(4)}`}`);
        return;
      }
      case 'early-stop': {
        const s = e.earlyStop;
        line(
          s.reason === 'eigenvalue'
            ? `early stop at epoch ${s.epoch + 1}: λ_max's local average grew ${s.ratio?.toFixed(2)}×; rolling back to epoch ${s.rollbackTo + 1}`
            : `phase limit reached at epoch ${s.epoch + 1}; deciding at epoch ${s.rollbackTo + 1}`,
        );
        return;
      }
      case 'collapse':
        line(`warning: ${e.collapse.message}`);
        return;
      default:
    }
  };
}

/** The strategies' histories for the JSON summary: SGAS decisions, λ_max, MdeNAS probabilities, trajectories. */
export class SearchHistory {
  /** The latest probabilities snapshot (MdeNAS): per cell type, one row per edge. */
  probabilities: { ops: string[]; cells: Record<string, number[][]> } | null = null;
  /** [evaluations, best score by the search's signal, CIFAR-10 test % of the best (NAS-Bench-201)] per evaluation. */
  readonly trajectory: Array<{ evaluations: number; best: number; bestCifar10: number | null }> = [];
  /** The table score of the cell the search would have returned at the end of each epoch (NAS-Bench-201). */
  readonly benchmarkCurve: Array<{ epoch: number; cifar10: number; rank: number }> = [];
  readonly decisions: Array<Pick<Decision, 'epoch' | 'cellType' | 'edge' | 'op' | 'scores'> & { wallEpoch: number; reason: Decision['reason']; edgeLabel: string }> = [];
  readonly eigenvalues: Array<Pick<Eigenvalue, 'epoch' | 'wallEpoch' | 'lambdaMax' | 'localAverage'>> = [];
  readonly earlyStops: EarlyStop[] = [];
  readonly collapseWarnings: string[] = [];

  record(e: TrainerEvent): void {
    if (e.type === 'decision') {
      const { epoch, wallEpoch, cellType, edge, edgeLabel, op, scores, reason } = e.decision;
      this.decisions.push({ epoch, wallEpoch, cellType, edge, edgeLabel, op, scores, reason });
    } else if (e.type === 'eigenvalue') {
      const { epoch, wallEpoch, lambdaMax, localAverage } = e.eigenvalue;
      this.eigenvalues.push({ epoch, wallEpoch, lambdaMax, localAverage });
    } else if (e.type === 'early-stop') this.earlyStops.push(e.earlyStop);
    else if (e.type === 'collapse') this.collapseWarnings.push(e.collapse.message);
    else if (e.type === 'snapshot' && e.kind === 'probabilities') this.probabilities = e.payload as SearchHistory['probabilities'];
    else if (e.type === 'metrics') {
      const v = e.values;
      if (v[TRAJECTORY_METRICS.best] !== undefined) {
        this.trajectory.push({ evaluations: e.step, best: v[TRAJECTORY_METRICS.best], bestCifar10: v[TRAJECTORY_METRICS.bestCifar10] ?? null });
      }
      if (v[EPOCH_BENCHMARK_METRICS.cifar10] !== undefined) {
        this.benchmarkCurve.push({ epoch: e.epoch, cifar10: v[EPOCH_BENCHMARK_METRICS.cifar10], rank: v[EPOCH_BENCHMARK_METRICS.rank] });
      }
    }
  }
}
