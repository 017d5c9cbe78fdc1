// SPD benchmark of THE APP's engine (issue 11): src/main/nas/engine/spd (float64 Jacobi eigendecomposition with
// the Daleckii–Krein gradient, as one tfjs op per batch) and one SPDNetNAS search step (strategies/spdnas.ts on
// spaces/spd.ts), bundled with vite (entry.ts) into out/bench/spd-engine.mjs, against PyTorch on the CPU at the
// same thread count (tfjs on wasm runs one thread in Node) and at all cores, in the same run (torch_spd.py).
// Prints one JSON object; ratios are app time / PyTorch time (> 1: the app is slower).
//
//   npm run bench:spd
//   BENCH_STEPS=10 BENCH_SEARCH_STEPS=5 BENCH_SIZES=20,93 BENCH_ORDERS=1,2 node test/bench/spd/run.js
//   BENCH_NO_TORCH=1 skips PyTorch; BENCH_NO_BUILD=1 reuses the bundle.
//
// eig: logm of a batch of 30 random SPD matrices (forward), and forward + gradient of Σ G∘logm(P) w.r.t. P;
//      PyTorch: torch.linalg.eigh + U log(Λ) Uᵀ with autograd, in float64 (the app's precision) and float32.
// step: one search iteration of the CLI's default config (`nas-studio search --space spd --strategy spdnas
//      --dataset spd-synthetic`: batch 64, 20×20, 2 cells, second order by default; first order too): α step on
//      a validation batch, then the Riemannian weight step on a training batch. PyTorch runs the same network
//      and step, both orders.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PY, ensureTorch, median } from '../train-step/run.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const bundle = path.join(root, 'out', 'bench', 'spd-engine.mjs');
const STEPS = Number(process.env.BENCH_STEPS ?? 10);
const SEARCH_STEPS = Number(process.env.BENCH_SEARCH_STEPS ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const SIZES = (process.env.BENCH_SIZES ?? '20,93').split(',').filter(Boolean).map(Number);
const ORDERS = (process.env.BENCH_ORDERS ?? '1,2').split(',').map(Number);
const COUNT = 30;
const round = (x, d = 2) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);

async function buildBundle() {
  process.env.VITE_CONFIG_NATIVE_IGNORE_WARNING = 'true';
  const { build } = await import('vite');
  await build({ configFile: path.join(here, 'vite.config.ts'), logLevel: 'warn' });
}

function timed(fn, steps = STEPS, warmup = WARMUP) {
  const times = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    fn();
    if (i >= warmup) times.push(performance.now() - t0);
  }
  return median(times);
}

/** `count` well-conditioned random SPD matrices A·Aᵀ/(2n) + 0.1·I (float64), from the app's seeded RNG. */
function randomSpd(E, n, count) {
  const rng = new E.Rng(n);
  const out = new Float64Array(count * n * n);
  for (let b = 0; b < count; b++) {
    const a = Array.from({ length: n * 2 * n }, () => rng.next() * 2 - 1);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < 2 * n; k++) s += a[i * 2 * n + k] * a[j * 2 * n + k];
      out[b * n * n + i * n + j] = s / (2 * n) + (i === j ? 0.1 : 0);
    }
  }
  return out;
}

function eigApp(E, data, n) {
  const { tf } = E;
  const x = tf.tensor3d(Float32Array.from(data), [COUNT, n, n]);
  const g = tf.onesLike(x);
  const grad = tf.grad((p) => tf.sum(tf.mul(E.logEig(p), g)));
  const forwardMs = timed(() => tf.tidy(() => E.logEig(x).dataSync()));
  const forwardBackwardMs = timed(() => tf.tidy(() => grad(x).dataSync()));
  x.dispose();
  g.dispose();
  return { forward_ms: forwardMs, forward_backward_ms: forwardBackwardMs };
}

/** The CLI's default spdnas config on spd-synthetic, as `nas-studio search` parses it. */
function searchApp(E, set, order) {
  const config = E.parseSearchConfig({ dataset: 'spd-synthetic', space: { name: 'spd' }, strategy: { name: 'spdnas', order } });
  const net = E.buildSpdSupernet(config.space, [set.size, set.size, 1], set.classes, new E.Rng(E.hashSeed(config.seed, 1)));
  const train = E.balancedSpdSubset(set.train, set.classes, set.size, config.trainLimit);
  const search = new E.SpdnasSearch({ config, options: config.strategy, net, train, size: set.size, emit: () => {}, checkpointPath: () => '' });
  const tensors0 = E.tf.memory().numTensors;
  const ms = timed(() => search.step(), SEARCH_STEPS, 1);
  const leak = E.tf.memory().numTensors - tensors0;
  const params = net.params.trainableList().reduce((a, v) => a + v.size, 0);
  const alphaParams = [...net.alphas.values()].reduce((a, v) => a + v.size, 0);
  search.dispose();
  return { ms, batch: config.batchSize, params, alphaParams, leak };
}

function torch(cfg) {
  const out = execFileSync(PY, [path.join(here, 'torch_spd.py'), JSON.stringify({ steps: STEPS, warmup: WARMUP, ...cfg })], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  return JSON.parse(out.trim().split('\n').pop());
}

async function main() {
  if (!process.env.BENCH_NO_BUILD || !existsSync(bundle)) await buildBundle();
  const E = await import(pathToFileURL(bundle).href);
  const info = await E.initBackend(process.env.BENCH_BACKEND ?? 'auto');
  const torchErr = process.env.BENCH_NO_TORCH ? 'skipped' : ensureTorch();
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  // wasm runs on one thread in Node; a native backend would use every core.
  const sameThreads = info.backend === 'wasm' ? 1 : cores;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-spd-'));
  const result = { backend: info.backend, device: info.device, cores, torch_threads_same: sameThreads, loadavg: os.loadavg().map((l) => round(l)), torch: null, torch_status: torchErr ?? 'ok', eig: {}, search_step: {} };
  try {
    for (const n of SIZES) {
      const data = randomSpd(E, n, COUNT);
      const app = eigApp(E, data, n);
      const entry = { matrices: COUNT, n, app_forward_ms: round(app.forward_ms), app_forward_backward_ms: round(app.forward_backward_ms) };
      if (!torchErr) {
        const file = path.join(tmp, `eig-${n}.f64`);
        writeFileSync(file, Buffer.from(data.buffer));
        const same = torch({ mode: 'eig', file, n, count: COUNT, threads: sameThreads });
        const all = torch({ mode: 'eig', file, n, count: COUNT, threads: cores });
        result.torch = same.torch;
        for (const [key, t] of [['same_threads', same], ['all_cores', all]]) {
          for (const dtype of ['float64', 'float32']) {
            entry[`torch_${dtype}_${key}_forward_backward_ms`] = round(t[dtype].forward_backward_ms);
            entry[`ratio_${dtype}_${key}`] = round(app.forward_backward_ms / t[dtype].forward_backward_ms);
          }
        }
        entry.torch_float64_same_threads_forward_ms = round(same.float64.forward_ms);
        entry.ratio_forward_float64_same_threads = round(app.forward_ms / same.float64.forward_ms);
      }
      result.eig[`${COUNT}x${n}x${n}`] = entry;
      process.stderr.write(`eig ${n}×${n}: ${JSON.stringify(entry)}\n`);
    }

    const set = E.generateSpdSynthetic();
    let torchCfg = null;
    if (!torchErr) {
      const file = path.join(tmp, 'train.f32');
      const labels = path.join(tmp, 'train.u8');
      writeFileSync(file, Buffer.from(set.train.matrices.buffer, set.train.matrices.byteOffset, set.train.matrices.byteLength));
      writeFileSync(labels, Buffer.from(set.train.labels));
      torchCfg = { mode: 'step', file, labels, n: set.size, classes: set.classes, batch: 64, steps: SEARCH_STEPS, warmup: 1 };
    }
    for (const order of ORDERS) {
      const app = searchApp(E, set, order);
      const entry = { order, batch: app.batch, app_ms: Math.round(app.ms), app_params: app.params, app_alpha_params: app.alphaParams, tensor_leak: app.leak };
      if (torchCfg) {
        const torchStep = { same: torch({ ...torchCfg, order, threads: sameThreads }), all: torch({ ...torchCfg, order, threads: cores }) };
        Object.assign(entry, {
          torch_ms_same_threads: Math.round(torchStep.same.median_ms),
          torch_ms_all_cores: Math.round(torchStep.all.median_ms),
          torch_params: torchStep.same.params,
          ratio_same_threads: round(app.ms / torchStep.same.median_ms),
          ratio_all_cores: round(app.ms / torchStep.all.median_ms),
        });
      }
      result.search_step[`spd-synthetic_b${app.batch}_order${order}`] = entry;
      process.stderr.write(`search step order ${order}: ${JSON.stringify(entry)}\n`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
