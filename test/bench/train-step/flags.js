// Runtime flags for the trainer process (issue 14, item 4): times the same training step as run.js (the app's
// engine on wasm; single-thread and data-parallel on worker threads) under several sets of V8 flags, each run in
// its own Node process started with those flags, and prints one JSON object with medians and spread.
//
//   npm run build && node test/bench/train-step/flags.js      (the threaded step needs out/main; the bundle is rebuilt)
//   node test/bench/train-step/flags.js --quick     2 rounds, 3 measured steps (~7 min on the loaded 2-core box):
//                                                   a smoke run, its verdicts say "too few rounds"; use ≥ 4 rounds
//   FLAGS_CONFIGS=small:64 (single-thread step)  FLAGS_THREADED_CONFIGS=big:32 (threaded step: only models with a
//   space config, see run.js MODELS)  FLAGS_ROUNDS=4 FLAGS_STEPS=4 FLAGS_WARMUP=3 FLAGS_THREADS=<cores>
//   FLAGS_SETS=default,no-liftoff,…  (FLAGS_THREADED_SETS for the threaded step; default: the same sets)
//   FLAGS_THREADS=1 skips the threaded step; BENCH_NO_BUILD=1 reuses out/bench/train-step-engine.mjs.
//
// The machine is shared, so flag sets are interleaved: each round runs every set once (in an order rotated per
// round), and each set is compared with the default run of the SAME round (paired ratio), which cancels most of
// the load drift between rounds. Three statistics per run: the median step's wall time, the fastest step (load
// only ever adds time), and the median step's CPU time (process.cpuUsage over every thread: what the flag costs
// in work, hardly moved by other jobs taking the cores; it does not see time spent waiting). A set is
// "faster"/"slower" only when, for the CPU time and both wall statistics, every round agrees and the median
// paired ratio is beyond ±NOISE; otherwise "within noise". Every set must reach the same final loss bits as the
// default (flags change code generation, never the arithmetic): a difference is reported as `loss_differs`.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle, median, runChild, snapshotBuild } from './run.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.resolve(here, '../../../out/bench/train-step-engine.mjs');
const quick = process.argv.includes('--quick');

/** The trainer process's own heap setting (local-process-backend.ts) is in every set, so only the flag differs. */
const BASE = ['--max-old-space-size=4096'];
const FLAG_SETS = {
  default: [],
  // TurboFan for every wasm function up front instead of Liftoff first and tier-up of hot functions later.
  'no-liftoff': ['--no-liftoff'],
  // Liftoff, and tier-up of every function in the background at once (not only the hot ones).
  'no-dynamic-tiering': ['--no-wasm-dynamic-tiering'],
  // Compile the whole module at instantiation instead of each function on its first call.
  'no-lazy-compilation': ['--no-wasm-lazy-compilation'],
  // A larger young generation: the step allocates thousands of short-lived tensor objects.
  'semi-space-64': ['--max-semi-space-size=64'],
  // No background GC threads competing with the worker threads for the cores.
  'single-threaded-gc': ['--single-threaded-gc'],
  // Controls: Liftoff code only (no optimising tier) — must be slower, or the bench cannot see code quality.
  'no-tier-up': ['--no-wasm-tier-up'],
  'liftoff-only': ['--liftoff-only'],
};
const NOISE = 0.05;
/** Two rounds that agree by chance are common on a loaded machine (a --quick run once called --single-threaded-gc
 * "faster" that 4 rounds did not confirm), so a verdict needs at least this many. */
const MIN_ROUNDS = 3;

function parseConfigs(text) {
  return text.split(',').map((s) => {
    const [kind, b] = s.split(':');
    return { kind, batch: Number(b) };
  });
}

/** Per-round ratios of `key` to the same round's default run, and what they say. */
function paired(runs, defaults, key) {
  const ratios = runs
    .map((r, i) => (r.error || defaults[i]?.error ? null : r[key] / defaults[i][key]))
    .filter((v) => v !== null);
  if (ratios.length === 0) return { ratios, ratio: null, verdict: 'no pair' };
  const ratio = median(ratios);
  const verdict =
    ratios.length < MIN_ROUNDS ? 'too few rounds'
    : Math.max(...ratios) < 1 && ratio <= 1 - NOISE ? 'faster'
    : Math.min(...ratios) > 1 && ratio >= 1 + NOISE ? 'slower'
    : 'within noise';
  return { ratios, ratio, verdict };
}

function summarise(runs, defaults) {
  const ok = runs.filter((r) => !r.error);
  if (ok.length === 0) return { error: runs[0]?.error ?? 'no run' };
  const ms = ok.map((r) => r.step_ms);
  const byMedian = paired(runs, defaults, 'step_ms');
  const byBest = paired(runs, defaults, 'best_ms');
  const byCpu = paired(runs, defaults, 'cpu_ms');
  const verdict =
    byMedian.verdict === 'too few rounds' ? byMedian.verdict
    : byMedian.verdict === byBest.verdict && byBest.verdict === byCpu.verdict ? byMedian.verdict
    : 'within noise';
  const { ratio } = byMedian;
  const med = median(ms);
  const losses = new Set(ok.map((r) => r.final_loss));
  return {
    median_ms: Math.round(med),
    min_ms: Math.round(Math.min(...ms)),
    max_ms: Math.round(Math.max(...ms)),
    spread_pct: +((100 * (Math.max(...ms) - Math.min(...ms))) / med).toFixed(1),
    round_ms: ms.map((v) => Math.round(v)),
    best_ms: Math.round(median(ok.map((r) => r.best_ms))),
    ratio_vs_default: ratio === null ? null : +ratio.toFixed(3),
    ratio_vs_default_min: ratio === null ? null : +Math.min(...byMedian.ratios).toFixed(3),
    ratio_vs_default_max: ratio === null ? null : +Math.max(...byMedian.ratios).toFixed(3),
    best_ratio_vs_default: byBest.ratio === null ? null : +byBest.ratio.toFixed(3),
    cpu_ms: Math.round(median(ok.map((r) => r.cpu_ms))),
    cpu_ratio_vs_default: byCpu.ratio === null ? null : +byCpu.ratio.toFixed(3),
    cpu_ratio_vs_default_min: byCpu.ratio === null ? null : +Math.min(...byCpu.ratios).toFixed(3),
    cpu_ratio_vs_default_max: byCpu.ratio === null ? null : +Math.max(...byCpu.ratios).toFixed(3),
    verdict,
    first_step_ms: Math.round(median(ok.map((r) => r.first_step_ms))),
    ready_ms: Math.round(median(ok.map((r) => r.ready_ms))),
    final_loss: [...losses],
    errors: runs.length - ok.length,
  };
}

async function main() {
  if (!process.env.BENCH_NO_BUILD || !existsSync(bundle)) await buildBundle();
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const rounds = Number(process.env.FLAGS_ROUNDS ?? (quick ? 2 : 4));
  const steps = Number(process.env.FLAGS_STEPS ?? (quick ? 3 : 4));
  const warmup = Number(process.env.FLAGS_WARMUP ?? 3); // wasm tier-up settles after 2 steps
  const threads = Number(process.env.FLAGS_THREADS ?? cores);
  const setList = (name) => {
    const list = (process.env[name] ?? process.env.FLAGS_SETS ?? Object.keys(FLAG_SETS).join(',')).split(',');
    for (const n of list) if (!FLAG_SETS[n]) throw new Error(`${name}: unknown flag set '${n}' (${Object.keys(FLAG_SETS).join(' | ')})`);
    if (list[0] !== 'default') throw new Error(`${name} must start with 'default' (every set is compared with it)`);
    return list;
  };
  const variants = [
    ...parseConfigs(process.env.FLAGS_CONFIGS ?? 'small:64').map((c) => ({ ...c, threads: 1, sets: setList('FLAGS_SETS') })),
    ...(threads > 1
      ? parseConfigs(process.env.FLAGS_THREADED_CONFIGS ?? 'big:32').map((c) => ({ ...c, threads, sets: setList('FLAGS_THREADED_SETS') }))
      : []),
  ];
  const setNames = [...new Set(variants.flatMap((v) => v.sets))];
  const env = { BENCH_STEPS: String(steps), BENCH_WARMUP: String(warmup), ...snapshotBuild() };
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    cores,
    loadavg_before: os.loadavg().map((l) => +l.toFixed(2)),
    loadavg_after: null,
    rounds,
    steps,
    warmup,
    base_flags: BASE,
    flag_sets: Object.fromEntries(setNames.map((n) => [n, FLAG_SETS[n]])),
    variants: {},
  };
  for (const v of variants) {
    const name = `${v.kind}_b${v.batch}_${v.threads > 1 ? `threads${v.threads}` : 'single'}`;
    const runs = Object.fromEntries(v.sets.map((n) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      // Rotate the order each round so no set always runs first (cold caches) or last (someone else's job).
      const order = v.sets.map((_, i) => v.sets[(i + r) % v.sets.length]);
      for (const set of order) {
        const cfg = { kind: v.kind, batch: v.batch, recompute: 'auto', threads: v.threads };
        const out = runChild(cfg, [...BASE, ...FLAG_SETS[set]], env);
        const run = out.error
          ? { error: out.error }
          : {
              step_ms: out.threaded_ms ?? out.tfjs_ms,
              best_ms: Math.min(...out.steps_ms.slice(warmup)),
              cpu_ms: median(out.steps_cpu_ms.slice(warmup)),
              first_step_ms: out.steps_ms[0],
              ready_ms: out.ready_ms,
              final_loss: out.final_loss,
            };
        runs[set][r] = run;
        process.stderr.write(`${name} round ${r + 1}/${rounds} ${set}: ${run.error ?? `${Math.round(run.step_ms)} ms`}\n`);
      }
    }
    const summary = Object.fromEntries(v.sets.map((n) => [n, summarise(runs[n], runs.default)]));
    const refLoss = summary.default.final_loss?.[0];
    for (const s of Object.values(summary)) {
      if (s.final_loss && (s.final_loss.length !== 1 || s.final_loss[0] !== refLoss)) s.loss_differs = true;
    }
    result.variants[name] = summary;
  }
  result.loadavg_after = os.loadavg().map((l) => +l.toFixed(2));
  printTable(result);
  console.log(JSON.stringify(result, null, 2));
}

/** The flag table on stderr: one line per variant and flag set. */
function printTable(result) {
  const rows = [['variant', 'flags', 'median ms', 'spread %', 'fastest ms', 'ratio (min–max)', 'fastest ratio', 'cpu ms', 'cpu ratio (min–max)', 'verdict', '1st step ms']];
  for (const [variant, sets] of Object.entries(result.variants)) {
    for (const [set, s] of Object.entries(sets)) {
      if (s.error) rows.push([variant, set, s.error.slice(0, 60), ...Array(rows[0].length - 3).fill('')]);
      else {
        const ratio = `${s.ratio_vs_default} (${s.ratio_vs_default_min}–${s.ratio_vs_default_max})`;
        const cpu = `${s.cpu_ratio_vs_default} (${s.cpu_ratio_vs_default_min}–${s.cpu_ratio_vs_default_max})`;
        const verdict = s.verdict + (s.loss_differs ? ' LOSS DIFFERS' : '');
        rows.push([variant, set, s.median_ms, s.spread_pct, s.best_ms, ratio, s.best_ratio_vs_default, s.cpu_ms, cpu, verdict, s.first_step_ms]);
      }
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const text = rows.map((r) => r.map((v, c) => String(v).padEnd(widths[c])).join('  ')).join('\n');
  process.stderr.write(`\nload average ${result.loadavg_before.join(' ')} → ${result.loadavg_after.join(' ')}\n${text}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
