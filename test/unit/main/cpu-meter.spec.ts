import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { TrainerEvent } from '../../../src/shared/events';
import { CpuMeter } from '../../../src/main/trainer/cpu-meter';
import { CPU_CORES_METRIC } from '../../../src/shared/training-threads';

// The trainer's CPU figure counts every thread of the process: a worker thread's work shows while the main
// thread sleeps. Values are not compared with a core count (the machine is shared), only with zero.

const metrics = (step: number): TrainerEvent => ({ type: 'metrics', step, epoch: 0, values: { train_loss: 1 } });
const progress: TrainerEvent = { type: 'progress', epoch: 0, epochs: 1, step: 1, stepsPerEpoch: 10 };

describe('CpuMeter', () => {
  it('reports nothing before a sample is due, then cpu_cores at the latest metrics step', () => {
    const meter = new CpuMeter(50);
    expect(meter.observe(progress)).toBeNull(); // no training step reported yet
    expect(meter.observe(metrics(3))).toBeNull(); // the window starts here
    const until = performance.now() + 80;
    while (performance.now() < until); // busy on this thread
    const e = meter.observe(progress);
    expect(e).toMatchObject({ type: 'metrics', step: 3, epoch: 0 });
    const cores = (e as Extract<TrainerEvent, { type: 'metrics' }>).values[CPU_CORES_METRIC]!;
    expect(cores).toBeGreaterThan(0);
    // Its own events do not move the step it reports at, and the next window starts afresh.
    expect(meter.observe(e!)).toBeNull();
  });

  it('counts a worker thread that works while the main thread sleeps', async () => {
    const meter = new CpuMeter(50);
    meter.observe(metrics(1));
    const busyMs = 600;
    const worker = new Worker(`const end = Date.now() + ${busyMs}; let x = 0; while (Date.now() < end) x++; require('node:worker_threads').parentPort.postMessage(x);`, { eval: true });
    await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();
    const e = meter.observe(progress) as Extract<TrainerEvent, { type: 'metrics' }>;
    // The main thread waited on an event (no CPU): what was counted is the worker's.
    expect(e.values[CPU_CORES_METRIC]).toBeGreaterThan(0.05);
  });
});
