// Dry-run benchmark (issue 8): random search and regularised evolution on the NAS-Bench-201 table, 100 seeds
// each with 100 table queries: mean and spread of the best CIFAR-10 test accuracy found, and the time per run.
// Reference: the best of 100 uniformly random cells averages 93.86 (spread 0.22 over 1,000 seeds) by this
// table; regularised evolution should beat that mean. MdeNAS is measured alongside for comparison.
// Prints one JSON object. Not a test: nothing here fails on a slow machine.
//
//   npm run bench:dry-run                 (builds first)
//   BENCH_SEEDS=100 BENCH_QUERIES=100 node test/bench/dry-run/run.js
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const SEEDS = Number(process.env.BENCH_SEEDS ?? 100);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 100);
const REFERENCE = { randomBestOf100Mean: 93.86, randomBestOf100Spread: 0.22, seeds: 1000 };

async function bundle() {
  const out = path.join(root, 'out', 'bench', 'dry-run.mjs');
  mkdirSync(path.dirname(out), { recursive: true });
  const { build } = await import('rolldown');
  await build({ input: path.join(here, 'entry.ts'), platform: 'node', external: [/^node:/], logLevel: 'silent', output: { file: out, format: 'esm' } });
  return import(pathToFileURL(out).href);
}

const round = (x, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
function describe(values) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const sorted = [...values].sort((a, b) => a - b);
  return { mean: round(mean), std: round(std), min: round(sorted[0]), median: round(sorted[n >> 1]), max: round(sorted[n - 1]), n };
}

const app = await bundle();
const table = app.Nb201Table.loadDefault();
const strategies = {
  random: { name: 'random', samples: QUERIES },
  evolution: { name: 'evolution', samples: QUERIES },
  mdenas: { name: 'mdenas', epochs: QUERIES, convergence: 'epochs' },
};
const results = {};
for (const [key, strategy] of Object.entries(strategies)) {
  const best = [];
  const returned = [];
  const ms = [];
  for (let seed = 0; seed < SEEDS; seed++) {
    const config = app.parseSearchConfig({ estimation: 'nb201-table', space: { name: 'nb201' }, strategy, seed });
    const t = performance.now();
    const outcome = await app.runDryRun(config, { table });
    ms.push(performance.now() - t);
    // The best cell the queries found (by the search's signal), and what the strategy returned (MdeNAS derives
    // its cell from the distribution, which need not be a queried one).
    best.push(outcome.trajectory.at(-1)[2]);
    returned.push(outcome.result.nb201.cifar10);
  }
  const config = app.parseSearchConfig({ estimation: 'nb201-table', space: { name: 'nb201' }, strategy, seed: 0 }).strategy;
  results[key] = { config, bestFoundCifar10Test: describe(best), returnedCifar10Test: describe(returned), msPerRun: describe(ms) };
}

const signal = table.signalMetric();
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'dry-run',
      table: table.source,
      signal: signal.column,
      note: signal.note,
      seeds: SEEDS,
      queriesPerRun: QUERIES,
      reference: REFERENCE,
      results,
      evolutionBeatsRandomReference: results.evolution.bestFoundCifar10Test.mean > REFERENCE.randomBestOf100Mean,
      evolutionBeatsRandomHere: results.evolution.bestFoundCifar10Test.mean > results.random.bestFoundCifar10Test.mean,
      node: process.version,
    },
    null,
    2,
  )}\n`,
);
