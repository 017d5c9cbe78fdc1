import * as tf from '../engine/tf';
import type { StandaloneNet } from './networks/standalone';

// Measured inference latency: one image at a time (batch 1) in eval mode on the run's backend, after warm-up
// runs (kernel compilation, memory pools), reporting the median so one slow run (GC, scheduling) does not
// move it. Each run waits for the output data, so asynchronous backends are timed to completion.

export interface Latency {
  medianMs: number;
  backend: string;
  runs: number;
}

export async function measureLatency(net: StandaloneNet, options: { warmup?: number; runs?: number } = {}): Promise<Latency> {
  const warmup = options.warmup ?? 3;
  const runs = options.runs ?? 20;
  const x = tf.zeros([1, ...net.inputShape]) as tf.Tensor4D;
  const once = async () => {
    const y = tf.tidy(() => net.predict(x));
    await y.data();
    y.dispose();
  };
  try {
    for (let i = 0; i < warmup; i++) await once();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await once();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const mid = times.length >> 1;
    const medianMs = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
    return { medianMs, backend: tf.getBackend(), runs };
  } finally {
    x.dispose();
  }
}
