#!/usr/bin/env node
// `npm run experiment:collapse`: DARTS, SGAS and SGAS-es in the NAS-Bench-201 space on Fashion-MNIST under one
// budget and several seeds, through the built CLI. Prints one JSON object: a row per run (genotype, skip
// connections, the table's CIFAR-10 accuracy, a λ_max summary) and a summary per strategy. Not a test: it
// trains for a long time. Options (all optional): --train-limit N --channels N --cells N --batch N --seeds 1,2,3
// --parallel N --dataset NAME --out FILE.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    'train-limit': { type: 'string', default: '1000' },
    channels: { type: 'string', default: '8' },
    cells: { type: 'string', default: '1' },
    batch: { type: 'string', default: '32' },
    seeds: { type: 'string', default: '1,2,3' },
    parallel: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    dataset: { type: 'string', default: 'fashion-mnist' },
    out: { type: 'string' },
  },
});

// One budget of about 25 epochs for each. SGAS: 4 + 4·5 + 1 + 1 = 26 epochs. SGAS-es: phases of at most 5
// epochs (≤ 31), with a local-average window of 2 and a lag of 2 so that its stop rule can fire inside such
// short phases (the defaults w = 3, δ = 4 need phases of 6+ epochs, i.e. 37+ epochs for 6 decisions).
const STRATEGIES = {
  darts: ['--strategy', 'darts', '--epochs', '25', '--lambda-max'],
  sgas: ['--strategy', 'sgas', '--warmup', '4', '--decision-freq', '4', '--final-epochs', '1', '--lambda-max'],
  'sgas-es': ['--strategy', 'sgas-es', '--decision-freq', '5', '--es-window', '2', '--es-delta', '2', '--final-epochs', '1'],
};
const common = ['--space', 'nb201', '--dataset', opts.dataset, '--train-limit', opts['train-limit'], '--channels', opts.channels, '--cells', opts.cells, '--batch', opts.batch, '--json'];
const seeds = opts.seeds.split(',').map((s) => Number(s.trim()));
const jobs = Object.entries(STRATEGIES).flatMap(([strategy, args]) => seeds.map((seed) => ({ strategy, seed, args: [...common, ...args, '--seed', String(seed)] })));

function runCli(job) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'nas-studio.js'), 'search', ...job.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve({ job, code, result: JSON.parse(last) });
      } catch {
        resolve({ job, code, result: { error: err.trim().split('\n').pop() ?? `exit ${code}` } });
      }
    });
  });
}

function summarise(values) {
  if (values.length === 0) return null;
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(values.length - 1, 1));
  return { mean: Math.round(mean * 1000) / 1000, sd: Math.round(sd * 1000) / 1000, min: Math.min(...values), max: Math.max(...values) };
}

function row({ job, result }) {
  if (result.error) return { strategy: job.strategy, seed: job.seed, error: result.error };
  const lambdas = result.eigenvalues.map((e) => e.lambdaMax);
  return {
    strategy: job.strategy,
    seed: job.seed,
    arch: result.arch,
    genotype: result.genotype,
    skipConnects: result.genotype.filter((op) => op === 'skip_connect').length,
    cifar10: result.nb201?.cifar10 ?? null,
    rank: result.nb201?.rank ?? null,
    valAccuracy: result.valAccuracy,
    epochsTrained: result.epochsTrained,
    earlyStops: result.earlyStops.length,
    collapseWarnings: result.collapseWarnings.length,
    lambdaMax: lambdas.length ? { first: lambdas[0], last: lambdas.at(-1), max: Math.max(...lambdas), mean: summarise(lambdas).mean } : null,
    wallSeconds: result.wallSeconds,
  };
}

const queue = [...jobs];
const rows = [];
const started = Date.now();
await Promise.all(
  Array.from({ length: Math.max(1, Number(opts.parallel)) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      process.stderr.write(`running ${job.strategy} seed ${job.seed}…\n`);
      const r = row(await runCli(job));
      rows.push(r);
      process.stderr.write(`  ${job.strategy} seed ${job.seed}: ${r.error ?? `${r.arch} CIFAR-10 ${r.cifar10} (${r.skipConnects} skips)`}\n`);
    }
  }),
);
rows.sort((a, b) => Object.keys(STRATEGIES).indexOf(a.strategy) - Object.keys(STRATEGIES).indexOf(b.strategy) || a.seed - b.seed);
const byStrategy = Object.fromEntries(
  Object.keys(STRATEGIES).map((s) => {
    const ok = rows.filter((r) => r.strategy === s && !r.error);
    return [
      s,
      {
        runs: ok.length,
        cifar10: summarise(ok.map((r) => r.cifar10).filter((x) => x !== null)),
        skipConnects: summarise(ok.map((r) => r.skipConnects)),
        lambdaMaxLast: summarise(ok.flatMap((r) => (r.lambdaMax ? [r.lambdaMax.last] : []))),
        earlyStops: ok.reduce((n, r) => n + r.earlyStops, 0),
        collapseWarnings: ok.reduce((n, r) => n + r.collapseWarnings, 0),
      },
    ];
  }),
);
const report = {
  budget: { trainLimit: Number(opts['train-limit']), channels: Number(opts.channels), cells: Number(opts.cells), batch: Number(opts.batch), dataset: opts.dataset, strategies: STRATEGIES },
  seeds,
  wallSeconds: (Date.now() - started) / 1000,
  summary: byStrategy,
  runs: rows,
};
const text = JSON.stringify(report, null, 2);
if (opts.out) writeFileSync(opts.out, `${text}\n`);
process.stdout.write(`${text}\n`);
