// GPU benchmark: the train-step benchmark's models (test/bench/train-step: the app's NB201 supernets, its
// training step and Adam) on every backend that loads here (native TensorFlow, webgpu, wasm), with PyTorch on
// the CPU in the same run. Prints one JSON object; see README.md in this folder for the commands.
//
//   npm run bench:gpu                      small@64 and big@32, 20 measured steps
//   npm run bench:gpu -- --quick           small@16, 3 steps: minutes on a software adapter (SwiftShader)
//   BENCH_BACKENDS=webgpu,wasm BENCH_CONFIGS=big:64 BENCH_STEPS=10 npm run bench:gpu
//   BENCH_NO_TORCH=1 skips PyTorch; BENCH_NO_BUILD=1 reuses the bundle.
//
// Each (backend, model) runs in its own child process: the train-step benchmark's child, with BENCH_BACKEND set.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const trainStep = path.join(root, 'test', 'bench', 'train-step');
const bundle = path.join(root, 'out', 'bench', 'train-step-engine.mjs');

const quick = process.argv.includes('--quick');
// Before the train-step module loads: it reads them once.
process.env.BENCH_STEPS ??= quick ? '3' : '20';
process.env.BENCH_WARMUP ??= quick ? '1' : '2';

const { MODELS, ensureTorch, torchRun } = await import(path.join(trainStep, 'run.js'));

const BACKENDS = (process.env.BENCH_BACKENDS ?? 'tensorflow,webgpu,wasm').split(',');
const CONFIGS = (process.env.BENCH_CONFIGS ?? (quick ? 'small:16' : 'small:64,big:32')).split(',').map((s) => {
  const [kind, b] = s.split(':');
  if (!MODELS[kind]) throw new Error(`unknown model '${kind}' (small | big)`);
  return { kind, batch: Number(b) };
});

/** The train-step bundle, with Dawn's binding left external: its native module is found from its own folder. */
async function buildBundle() {
  process.env.VITE_CONFIG_NATIVE_IGNORE_WARNING = 'true';
  const { build } = await import('vite');
  await build({ configFile: path.join(trainStep, 'vite.config.ts'), logLevel: 'warn', build: { rollupOptions: { external: ['webgpu'] } } });
}

/** The child's environment; VK_ICD_FILENAMES passes through (a real GPU needs none; see README.md). */
function backendEnv(backend) {
  // Dawn warns on every start without XDG_RUNTIME_DIR.
  return { ...process.env, BENCH_BACKEND: backend, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || os.tmpdir() };
}

function runChild(backend, kind, batch) {
  const r = spawnSync(process.execPath, [path.join(trainStep, 'run.js'), '--child', JSON.stringify({ kind, batch, recompute: 'off' })], {
    encoding: 'utf8',
    env: backendEnv(backend),
    maxBuffer: 64 * 2 ** 20,
    timeout: Number(process.env.BENCH_CHILD_TIMEOUT_S ?? 1800) * 1000,
  });
  const line = (r.stdout || '').split('\n').find((l) => l.startsWith('{"result"'));
  if (line) return JSON.parse(line).result;
  const lines = ((r.stderr || '') + (r.stdout || '')).split('\n');
  const err = lines.filter((l) => /^Error|cannot be used|error/i.test(l));
  return { error: (err.slice(0, 2).join(' | ') || `exit ${r.status} ${r.signal ?? ''}`).slice(0, 800) };
}

async function main() {
  if (!process.env.BENCH_NO_BUILD || !existsSync(bundle)) await buildBundle();
  const torchErr = process.env.BENCH_NO_TORCH ? 'skipped (BENCH_NO_TORCH)' : ensureTorch();
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const result = {
    steps: Number(process.env.BENCH_STEPS),
    warmup: Number(process.env.BENCH_WARMUP),
    quick,
    cores,
    cpu: os.cpus()[0]?.model ?? null,
    loadavg: os.loadavg().map((l) => +l.toFixed(2)),
    vkIcd: process.env.VK_ICD_FILENAMES ?? null,
    backends: {},
    torch: null,
    configs: {},
  };
  for (const { kind, batch } of CONFIGS) {
    const name = `${kind}_b${batch}`;
    const entry = { backends: {}, torch_ms_1_thread: null, torch_ms_all_cores: null };
    if (!torchErr) {
      const one = torchRun(kind, batch, 1);
      const all = torchRun(kind, batch, cores);
      result.torch = one.torch;
      entry.torch_ms_1_thread = Math.round(one.median_ms);
      entry.torch_ms_all_cores = Math.round(all.median_ms);
    } else entry.torch_status = torchErr;
    for (const backend of BACKENDS) {
      const r = runChild(backend, kind, batch);
      if (r.error) {
        entry.backends[backend] = { status: r.error };
      } else {
        result.backends[backend] = { device: r.device };
        entry.backends[backend] = {
          status: 'ok',
          ms_per_step: Math.round(r.tfjs_ms),
          vs_torch_all_cores: entry.torch_ms_all_cores ? +(r.tfjs_ms / entry.torch_ms_all_cores).toFixed(2) : null,
          tensor_leak_per_step: r.tensor_leak_per_step,
          params: r.params,
        };
      }
      process.stderr.write(`${name} ${backend}: ${JSON.stringify(entry.backends[backend])}\n`);
    }
    result.configs[name] = entry;
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
