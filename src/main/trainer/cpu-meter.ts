import type { TrainerEvent } from '../../shared/events';
import { CPU_CORES_METRIC } from '../../shared/training-threads';

// How many cores the trainer process keeps busy: process.cpuUsage() counts every thread of the process (the
// training worker threads too), so its growth over wall time is the cores in use (1.93 = almost two). Sampled
// when the run reports its steps, at most every few seconds, and reported as the `cpu_cores` metric at the
// run's latest step, so the run view shows it live and the chart keeps its history.

const SAMPLE_MS = 3000;

export class CpuMeter {
  private lastCpu = process.cpuUsage();
  private lastWall = performance.now();
  private at: { step: number; epoch: number } | null = null;

  constructor(private readonly sampleMs = SAMPLE_MS) {}

  /** Watches the run's events; returns a cpu_cores metric event to emit after `e` when a sample is due, else null. */
  observe(e: TrainerEvent): TrainerEvent | null {
    if (e.type === 'metrics' && e.values[CPU_CORES_METRIC] === undefined) {
      // The first window starts with training, not with loading the backend and the dataset.
      if (!this.at) this.restart();
      this.at = { step: e.step, epoch: e.epoch };
    }
    if (e.type !== 'metrics' && e.type !== 'progress') return null;
    const now = performance.now();
    const wall = now - this.lastWall;
    if (!this.at || wall < this.sampleMs) return null;
    const used = process.cpuUsage(this.lastCpu);
    this.restart();
    // cpuUsage is in microseconds, wall time in milliseconds.
    const cores = (used.user + used.system) / 1000 / wall;
    return { type: 'metrics', step: this.at.step, epoch: this.at.epoch, values: { [CPU_CORES_METRIC]: Math.round(cores * 100) / 100 } };
  }

  private restart(): void {
    this.lastCpu = process.cpuUsage();
    this.lastWall = performance.now();
  }
}
