// History benchmark: 5,000 runs × 100 metric points in a real SQLite file, then
//   - the runs-list query in-process (the app's Store, bundled from src/main/store),
//   - runs.list through the real headless server's HTTP API (out/main/server.js),
//   - the first render of the Runs view in Chromium (navigation start → first table rows visible).
// Prints one JSON object with the numbers and the targets. Not a test: nothing here fails on a slow machine.
//
//   npm run bench:history            (builds first)
//   BENCH_RUNS=5000 BENCH_POINTS=100 BENCH_CALLS=20 BENCH_RENDERS=5 node test/bench/history/run.js
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5000);
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

    // 2. The list query in-process: the default list (newest first), as the Runs view asks for it.
    const inProcess = [];
    let rows = 0;
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      rows = store.runs.list({}).length;
      inProcess.push(performance.now() - t);
    }
    result.storeList = { ...stats(inProcess), rows };
    store.close();

    // 3. runs.list through the real server's HTTP API (request + query + JSON both ways).
    server = await startServer(dir);
    const http = [];
    let bytes = 0;
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      const res = await fetch(`${server.origin}/api/runs.list`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-nas-token': server.token },
        body: '{}',
      });
      const body = await res.json();
      http.push(performance.now() - t);
      if (!res.ok || body.length !== RUNS) throw new Error(`runs.list returned ${res.status} with ${body.length} rows`);
      bytes = JSON.stringify(body).length;
    }
    result.httpList = { ...stats(http), responseBytes: bytes };

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
        await page.screenshot({ path: path.join(root, 'test-artifacts', 'bench', 'runs-5000.png') });
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
