// Compare benchmark: 10 runs × 10,000 points per metric (4 metrics) in a real SQLite file, each with 50 α
// snapshots of a DARTS-space search, then in Chromium against the real headless server:
//   - open: navigation to /compare?ids=… → the merged cell graphs and the curve chart drawn,
//   - toggle: choosing another metric in the curve panel → the chart redrawn (two animation frames later).
// Prints one JSON object with medians and the targets. Not a test: nothing here fails on a slow machine.
//
//   npm run bench:compare            (builds first)
//   BENCH_RUNS=10 BENCH_POINTS=10000 BENCH_OPENS=5 BENCH_TOGGLES=10 node test/bench/compare/run.js
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const POINTS = Number(process.env.BENCH_POINTS ?? 10_000);
const OPENS = Number(process.env.BENCH_OPENS ?? 5);
const TOGGLES = Number(process.env.BENCH_TOGGLES ?? 10);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TARGETS = { openMs: 300, toggleMs: 300 };
const METRICS = ['train_loss', 'train_acc', 'val_loss', 'val_acc'];

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x) => Math.round(x * 100) / 100;
const stats = (a) => ({ medianMs: round(median(a)), minMs: round(Math.min(...a)), maxMs: round(Math.max(...a)), firstMs: round(a[0]), n: a.length });

async function bundleStore() {
  const out = path.join(root, 'out', 'bench', 'compare-store.mjs');
  const { build } = await import('rolldown');
  await build({ input: path.join(here, 'entry.ts'), platform: 'node', external: ['better-sqlite3', /^node:/], logLevel: 'silent', output: { file: out, format: 'esm' } });
  return out;
}

function startServer(dataDir) {
  const serverJs = path.join(root, 'out', 'main', 'server.js');
  if (!existsSync(serverJs)) throw new Error(`${serverJs} is missing: run 'npm run build' first.`);
  const proc = spawn(process.execPath, [serverJs, '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    const onData = (d) => {
      out += d.toString();
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=([0-9a-f]+))/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1], origin: new URL(m[1]).origin, token: m[2] });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (c) => reject(new Error(`server exited (${c}):\n${out}`)));
  });
}

/** A DARTS-space α snapshot (14 edges × 8 ops per cell type) drifting towards one op per edge. */
function alphaSnapshot(random, epoch, lead) {
  const ops = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'];
  const cell = (k) => Array.from({ length: 14 }, (_, e) => {
    const raw = ops.map((_, o) => 1 + random() * 0.1 + (o === lead[k][e] ? epoch * 0.05 : 0));
    const sum = raw.reduce((s, x) => s + x, 0);
    return raw.map((x) => x / sum);
  });
  return { ops, cells: { normal: cell(0), reduce: cell(1) } };
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-bench-compare-'));
  const result = { benchmark: 'compare', runs: RUNS, pointsPerMetric: POINTS, metrics: METRICS.length, node: process.version, cpus: os.cpus().length, targets: TARGETS };
  let server;
  let browser;
  try {
    const { Store, seedHistory } = await import(pathToFileURL(await bundleStore()).href);
    const store = Store.open(path.join(dir, 'nas-studio.db'));
    const t0 = performance.now();
    // The seeder alternates the NAS-Bench-201 and DARTS spaces: seed twice as many, compare the DARTS ones.
    const all = seedHistory(store, { runs: 2 * RUNS, pointsPerRun: POINTS * METRICS.length, metricNames: METRICS, chunk: 1 });
    const dartsIds = all.runIds.filter((id) => JSON.parse(store.db.prepare('SELECT config FROM runs WHERE id = ?').pluck().get(id)).space.name === 'darts');
    const seeded = { runIds: dartsIds.slice(0, RUNS), points: all.points };
    let s = 7;
    const random = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const id of seeded.runIds) {
      const lead = [0, 1].map(() => Array.from({ length: 14 }, () => 1 + Math.floor(random() * 7)));
      store.transaction(() => {
        for (let epoch = 0; epoch < 50; epoch++) store.snapshots.add(id, epoch, 'alpha', alphaSnapshot(random, epoch, lead));
      });
    }
    result.seed = { ms: round(performance.now() - t0), points: seeded.points };
    store.close();

    server = await startServer(dir);
    // runs.compare over HTTP alone (query, bucketing, snapshots, JSON both ways): as the view opens (the curve
    // on show only) and with every metric.
    const timeCompare = async (body) => {
      const calls = [];
      let bytes = 0;
      for (let i = 0; i < OPENS; i++) {
        const t = performance.now();
        const res = await fetch(`${server.origin}/api/runs.compare`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-nas-token': server.token }, body: JSON.stringify(body) });
        const text = await res.text();
        calls.push(performance.now() - t);
        if (!res.ok) throw new Error(`runs.compare: ${res.status} ${text.slice(0, 300)}`);
        bytes = text.length;
      }
      return { ...stats(calls), bytes };
    };
    result.httpCompareOpen = await timeCompare({ ids: seeded.runIds, points: 800, metrics: ['val_acc'] });
    result.httpCompareAllMetrics = await timeCompare({ ids: seeded.runIds, points: 800 });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'] });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(server.url); // sets the session cookie and warms the bundle cache
    await page.locator('[data-testid="runs-row"]').first().waitFor({ timeout: 30_000 });
    const compareUrl = `${server.url.split('?')[0]}#/compare?ids=${seeded.runIds.join(',')}`;

    // Open: from the runs list (app loaded) to the merged graphs and the curves drawn.
    const opens = [];
    for (let i = 0; i < OPENS; i++) {
      await page.evaluate(() => (location.hash = '#/runs'));
      await page.locator('[data-testid="runs-row"]').first().waitFor();
      const ms = await page.evaluate(async (hash) => {
        const t = performance.now();
        location.hash = hash;
        const ready = () => document.querySelector('[data-testid="compare-merged-normal"] svg') && document.querySelector('[data-testid="compare-curve-chart"] canvas');
        while (!ready()) await new Promise((r) => requestAnimationFrame(r));
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now() - t;
      }, compareUrl.slice(compareUrl.indexOf('#')));
      opens.push(ms);
    }
    result.open = stats(opens);

    // Toggle: another metric in the curve panel → the chart's option applied and painted.
    const toggles = [];
    for (let i = 0; i < TOGGLES; i++) {
      const metric = METRICS[i % METRICS.length] === (await page.locator('[data-testid="compare-metric"]').inputValue()) ? METRICS[(i + 1) % METRICS.length] : METRICS[i % METRICS.length];
      const ms = await page.evaluate(async (m) => {
        const sel = document.querySelector('[data-testid="compare-metric"]');
        const body = document.querySelector('[data-testid="compare-curves-body"]');
        const t = performance.now();
        sel.value = m;
        sel.dispatchEvent(new Event('change'));
        while (body.getAttribute('data-metric') !== m) await new Promise((r) => requestAnimationFrame(r));
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now() - t;
      }, metric);
      toggles.push(ms);
    }
    result.toggle = stats(toggles);
    mkdirSync(path.join(root, 'test-artifacts', 'bench'), { recursive: true });
    await page.screenshot({ path: path.join(root, 'test-artifacts', 'bench', 'compare-10-runs.png') });
    result.meetsTargets = { open: result.open.medianMs < TARGETS.openMs, toggle: result.toggle.medianMs < TARGETS.toggleMs };
  } finally {
    await browser?.close();
    if (server) {
      server.proc.kill('SIGTERM');
      await new Promise((r) => server.proc.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
