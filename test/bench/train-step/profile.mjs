// Per-kernel time of one training step of the app's engine (tf.profile), to see where the wasm time goes.
//   node test/bench/train-step/profile.mjs small 64 [off|on]      (recompute off/on; after run.js built out/bench)
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MODELS } from './run.js';
const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.resolve(here, '../../../out/bench/train-step-engine.mjs');
const [kind = 'small', b = '64', recompute = 'off'] = process.argv.slice(2);
const E = await import(pathToFileURL(bundle).href);
const { tf } = E;
await E.initBackend('auto');
const net = E.buildNb201Supernet(MODELS[kind], new E.Rng(1));
const vars = [...net.params.trainableList(), ...net.alphas.values()];
const opt = new E.Adam(new Map(vars.map((v) => [v.name, v])), 0.9, 0.999, 0);
const batch = Number(b);
const x = tf.randomNormal([batch, 28, 28, 1]);
const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32');
const step = () => {
  const { grads } = E.lossAndGrads(net, x, y, vars, { recompute: recompute === 'on' });
  opt.step(grads, 1e-3);
  E.disposeGrads(grads);
};
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
