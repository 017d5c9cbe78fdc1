// Training-step benchmark: the NB201-style supernet (model.mjs / torch_bench.py) on the backend initBackend('auto')
// picks, against PyTorch CPU at equal threads and at all cores. Prints one JSON object.
//
//   npm run bench:train-step                     default configs: small@64, big@32, big@64
//   BENCH_STEPS=20 BENCH_CONFIGS=small:64,big:64 BENCH_VARIANT=recompute node test/bench/train-step/run.js
//   BENCH_VARIANT: default | stock-input (wasm's own Conv2DBackpropInput) | recompute (mixed-op recompute)
//
// Each tfjs config runs in its own child process, so a wasm abort (heap exhausted) is reported, not fatal.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const bundleDir = path.join(root, 'out', 'bench');
const bundle = path.join(bundleDir, 'engine-backend.mjs');
const STEPS = Number(process.env.BENCH_STEPS ?? 20);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const PY = '/usr/bin/python3';

/** Bundle src/main/nas/engine/backend.ts (+ kernels) to plain ESM with tfjs left external. */
async function buildBackendBundle() {
  const { build } = await import('rolldown');
  mkdirSync(bundleDir, { recursive: true });
  await build({
    input: path.join(here, 'entry.ts'),
    platform: 'node',
    external: [/^@tensorflow\//, /^node:/],
    output: { file: bundle, format: 'esm' },
    logLevel: 'silent',
  });
}

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function child(spec) {
  const { kind, batch, variant } = JSON.parse(spec);
  const { initBackend } = await import(pathToFileURL(bundle).href);
  const info = await initBackend('auto');
  const tf = await import('@tensorflow/tfjs-core');
  if (variant === 'stock-input' && info.backend === 'wasm') {
    const { registerWasmTrainingKernels } = await import(pathToFileURL(bundle).href);
    registerWasmTrainingKernels({ fastConv2dBackpropInput: false });
  }
  const { buildModel, countParams, lossFn } = await import('./model.mjs');
  const m = buildModel(kind);
  const opt = tf.train.adam(1e-3);
  const x = tf.randomNormal([batch, 28, 28, 1], 0, 1, 'float32', 7);
  const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 7) % 10), 'int32');
  const y = tf.oneHot(labels, 10);
  const opts = { recompute: variant === 'recompute' };
  const step = () => {
    const loss = opt.minimize(() => lossFn(m, x, y, opts), true, m.vars);
    const v = loss.dataSync()[0];
    loss.dispose();
    return v;
  };
  const times = [];
  let peakBytes = 0;
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const t0 = performance.now();
    const v = step();
    const dt = performance.now() - t0;
    if (!Number.isFinite(v)) throw new Error(`loss is ${v} at step ${i}`);
    if (i >= WARMUP) times.push(dt);
    peakBytes = Math.max(peakBytes, tf.memory().numBytes);
  }
  const heap = info.backend === 'wasm' ? tf.backend().wasm.HEAPU8.length : null;
  return {
    backend: info.backend,
    device: info.device,
    fallbackReason: info.fallbackReason,
    tfjs_ms: median(times),
    params: countParams(m),
    wasm_heap_mb: heap ? Math.round(heap / 2 ** 20) : null,
  };
}

function runChild(cfg) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(cfg)], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const line = (r.stdout || '').split('\n').find((l) => l.startsWith('{"result"'));
  if (line) return JSON.parse(line).result;
  const err = ((r.stderr || '') + (r.stdout || '')).split('\n').filter((l) => /error|abort|status|Error/i.test(l));
  return { error: (err.slice(0, 3).join(' | ') || `exit ${r.status} ${r.signal ?? ''}`).slice(0, 600) };
}

function ensureTorch() {
  try {
    execFileSync(PY, ['-c', 'import torch'], { stdio: 'ignore' });
    return null;
  } catch {
    try {
      execFileSync('sh', ['-c', 'apt-get install -y --no-install-recommends python3-torch || (apt-get update && apt-get install -y --no-install-recommends python3-torch)'], { stdio: 'ignore' });
      execFileSync(PY, ['-c', 'import torch'], { stdio: 'ignore' });
      return null;
    } catch (e) {
      return `PyTorch unavailable: ${String(e.message).split('\n')[0]}`;
    }
  }
}

function torchMs(kind, batch, threads) {
  const out = execFileSync(PY, [path.join(here, 'torch_bench.py'), JSON.stringify({ kind, batch, threads, steps: STEPS, warmup: WARMUP })], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

async function main() {
  await buildBackendBundle();
  const variant = process.env.BENCH_VARIANT ?? 'default';
  const configs = (process.env.BENCH_CONFIGS ?? 'small:64,big:32,big:64').split(',').map((s) => {
    const [kind, b] = s.split(':');
    return { kind, batch: Number(b) };
  });
  const torchErr = process.env.BENCH_NO_TORCH ? 'skipped' : ensureTorch();
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const result = { backend: null, device: null, variant, steps: STEPS, cores, configs: {} };
  for (const { kind, batch } of configs) {
    const name = `${kind}_b${batch}`;
    const r = runChild({ kind, batch, variant });
    const entry = { tfjs_ms: null, torch_ms_same_threads: null, torch_ms_all_cores: null, ratio_same_threads: null, ratio_all_cores: null, params: null, status: 'ok' };
    if (r.error) entry.status = r.error;
    else {
      result.backend = r.backend;
      result.device = r.device;
      result.fallbackReason = r.fallbackReason;
      entry.tfjs_ms = Math.round(r.tfjs_ms);
      entry.params = r.params;
      entry.wasm_heap_mb = r.wasm_heap_mb;
    }
    if (!torchErr) {
      const threads = result.backend === 'wasm' || !result.backend ? 1 : cores;
      const same = torchMs(kind, batch, threads);
      const all = torchMs(kind, batch, cores);
      entry.torch_ms_same_threads = Math.round(same.median_ms);
      entry.torch_ms_all_cores = Math.round(all.median_ms);
      entry.torch_params = same.params;
      if (entry.tfjs_ms) {
        entry.ratio_same_threads = +(entry.tfjs_ms / same.median_ms).toFixed(2);
        entry.ratio_all_cores = +(entry.tfjs_ms / all.median_ms).toFixed(2);
      }
    } else entry.torch_status = torchErr;
    result.configs[name] = entry;
    process.stderr.write(`${name}: ${JSON.stringify(entry)}\n`);
  }
  console.log(JSON.stringify(result, null, 2));
}

if (process.argv[2] === '--child') {
  child(process.argv[3])
    .then((r) => console.log(JSON.stringify({ result: r })))
    .catch((e) => {
      console.error(`Error: ${String(e?.message ?? e).split('\n')[0]}`);
      process.exit(1);
    });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
