// History benchmark: N runs (default 5,000; --runs N) × 100 metric points in a real SQLite file, then
//   - the runs-list query in-process (the app's Store, bundled from src/main/store): the first page, as the
//     Runs view asks for it, and the whole list for reference,
//   - runs.list (first page) and runs.facets through the real headless server's HTTP API (out/main/server.js),
//   - the first render of the Runs view in Chromium (navigation start → first table rows visible).
// Prints one JSON object with the numbers and the targets. Not a test: nothing here fails on a slow machine.
//
//   npm run bench:history -- --runs 10000     (builds first)
//   BENCH_RUNS=5000 BENCH_POINTS=100 BENCH_CALLS=20 BENCH_RENDERS=5 node test/bench/history/run.js
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
/** `--runs N` (or BENCH_RUNS). */
function flag(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const RUNS = Number(flag('--runs') ?? process.env.BENCH_RUNS ?? 5000);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive whole number, got ${flag('--runs')}`);
/** The page the Runs view asks for first (RunsView.vue PAGE). */
const PAGE = 100;
const POINTS = Number(process.env.BENCH_POINTS ?? 100);
const CALLS = Number(process.env.BENCH_CALLS ?? 20);
const RENDERS = Number(process.env.BENCH_RENDERS ?? 5);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TARGETS = { listQueryMs: 50, firstRenderMs: 1000 };

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x) => Math.round(x * 100) / 100;
const stats = (a) => ({ medianMs: round(median(a)), minMs: round(Math.min(...a)), maxMs: round(Math.max(...a)), firstMs: round(a[0]), n: a.length });

async function bundleStore() {
  const out = path.join(root, 'out', 'bench', 'history-store.mjs');
  const { build } = await import('rolldown');
  await build({
    input: path.join(here, 'entry.ts'),
    platform: 'node',
    external: ['better-sqlite3', /^node:/],
    logLevel: 'silent',
    output: { file: out, format: 'esm' },
  });
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

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-bench-history-'));
  const result = { benchmark: 'history', runs: RUNS, pointsPerRun: POINTS, node: process.version, cpus: os.cpus().length, targets: TARGETS };
  let server;
  let browser;
  try {
    // 1. Seed through the app's own store (same schema, same repositories).
    const bundle = await bundleStore();
    const { Store, seedHistory } = await import(pathToFileURL(bundle).href);
    mkdirSync(dir, { recursive: true });
    const store = Store.open(path.join(dir, 'nas-studio.db'));
    const seeded = seedHistory(store, { runs: RUNS, pointsPerRun: POINTS });
    result.seed = { ms: round(seeded.ms), points: seeded.points };

    // 2. The list query in-process: the first page (newest first) as the Runs view asks for it, and the whole list.
    const inProcess = [];
    const whole = [];
    let rows = 0;
    for (let i = 0; i < CALLS; i++) {
      let t = performance.now();
      rows = store.runs.list({ offset: 0, limit: PAGE }).length;
      inProcess.push(performance.now() - t);
      t = performance.now();
      store.runs.list({});
      whole.push(performance.now() - t);
    }
    result.storeList = { ...stats(inProcess), rows };
    result.storeWholeList = { ...stats(whole), rows: RUNS, note: 'every run in one read: never sent to the renderer' };
    store.close();

    // 3. The list's first page and its counts through the real server's HTTP API (request + query + JSON
    // both ways), as the Runs view asks for them (in parallel).
    server = await startServer(dir);
    const call = async (channel, args) => {
      const res = await fetch(`${server.origin}/api/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-nas-token': server.token },
        body: JSON.stringify(args),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(`${channel} returned ${res.status}: ${JSON.stringify(body)}`);
      return body;
    };
    const http = [];
    const httpFacets = [];
    const httpBoth = [];
    let bytes = 0;
    for (let i = 0; i < CALLS; i++) {
      let t = performance.now();
      const page = await call('runs.list', { offset: 0, limit: PAGE });
      http.push(performance.now() - t);
      if (page.length !== Math.min(PAGE, RUNS)) throw new Error(`runs.list returned ${page.length} rows`);
      bytes = JSON.stringify(page).length;
      t = performance.now();
      const facets = await call('runs.facets', {});
      httpFacets.push(performance.now() - t);
      if (facets.total !== RUNS) throw new Error(`runs.facets counted ${facets.total} runs`);
      t = performance.now();
      await Promise.all([call('runs.list', { offset: 0, limit: PAGE, sort: 'nb201Rank', direction: 'asc' }), call('runs.facets', {})]);
      httpBoth.push(performance.now() - t);
    }
    result.httpList = { ...stats(http), responseBytes: bytes, rows: PAGE };
    result.httpFacets = stats(httpFacets);
    result.httpListAndFacets = { ...stats(httpBoth), note: 'a page sorted by NB201 rank and the counts, in parallel' };

    // 4. First render of the Runs view: navigation start → the first table rows in the DOM and visible.
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
    });
    const renders = [];
    let visibleRows = 0;
    let countText = '';
    for (let i = 0; i < RENDERS; i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      await page.addInitScript(() => {
        const seen = () => {
          const row = document.querySelector('[data-testid="runs-row"]');
          if (!row) return false;
          const r = row.getBoundingClientRect();
          if (r.height <= 0 || r.bottom <= 0 || r.top >= innerHeight) return false;
          window.__firstRowMs = performance.now(); // ms since navigation start
          return true;
        };
        const obs = new MutationObserver(() => {
          if (seen()) obs.disconnect();
        });
        document.addEventListener('DOMContentLoaded', () => obs.observe(document.body, { childList: true, subtree: true }));
      });
      await page.goto(server.url);
      await page.waitForFunction(() => typeof window.__firstRowMs === 'number', null, { timeout: 30_000 });
      renders.push(await page.evaluate(() => window.__firstRowMs));
      visibleRows = await page.locator('[data-testid="runs-row"]').count();
      countText = (await page.locator('[data-testid="runs-count"]').textContent())?.trim() ?? '';
      if (i === RENDERS - 1) {
        mkdirSync(path.join(root, 'test-artifacts', 'bench'), { recursive: true });
        await page.screenshot({ path: path.join(root, 'test-artifacts', 'bench', `runs-${RUNS}.png`) });
      }
      await context.close();
    }
    result.firstRender = { ...stats(renders), renderedRows: visibleRows, runsCount: countText, note: 'firstMs is a cold browser cache' };
    result.meetsTargets = {
      listQuery: result.storeList.medianMs < TARGETS.listQueryMs && result.httpList.medianMs < TARGETS.listQueryMs,
      firstRender: result.firstRender.medianMs < TARGETS.firstRenderMs,
    };
  } finally {
    await browser?.close();
    if (server) {
      server.proc.kill('SIGTERM');
      await new Promise((r) => (server.proc.exitCode !== null ? r() : server.proc.once('exit', r)));
    }
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench:history failed: ${e.stack ?? e}\n`);
  process.exit(1);
});
