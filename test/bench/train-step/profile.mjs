// Per-kernel time of one training step (tf.profile), to see where the wasm time goes.
//   node test/bench/train-step/profile.mjs small 64 [default|stock-input|recompute]   (after run.js built out/bench)
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.resolve(here, '../../../out/bench/engine-backend.mjs');
const [kind = 'small', b = '64', variant = 'default'] = process.argv.slice(2);
const { initBackend, registerWasmTrainingKernels } = await import(pathToFileURL(bundle).href);
await initBackend('auto');
if (variant === 'stock-input') registerWasmTrainingKernels({ fastConv2dBackpropInput: false });
const tf = await import('@tensorflow/tfjs-core');
const { buildModel, lossFn } = await import('./model.mjs');
const m = buildModel(kind);
const batch = Number(b);
const opt = tf.train.adam(1e-3);
const x = tf.randomNormal([batch, 28, 28, 1]);
const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10);
const step = () => opt.minimize(() => lossFn(m, x, y, { recompute: variant === 'recompute' }), true, m.vars).dataSync();
step();
const t0 = performance.now();
step();
const wall = performance.now() - t0;
const prof = await tf.profile(step);
const by = new Map();
for (const k of prof.kernels) {
  const e = by.get(k.name) ?? { ms: 0, n: 0 };
  e.ms += Number(k.kernelTimeMs) || 0;
  e.n++;
  by.set(k.name, e);
}
const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms);
const total = rows.reduce((a, r) => a + r[1].ms, 0);
console.log(`wall ${wall.toFixed(0)} ms, kernels ${prof.kernels.length}, kernel sum ${total.toFixed(0)} ms, peakBytes ${(prof.peakBytes / 2 ** 20).toFixed(0)} MB`);
for (const [name, e] of rows.slice(0, 25)) console.log(`${name.padEnd(36)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.n).padStart(5)} calls`);
