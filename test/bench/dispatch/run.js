// Dispatch benchmark (issue 13): what sending a run to a worker costs over training it here.
//   - per run: the same tiny search (NB201 DARTS, demo set, C=4, one cell) trained RUNS times by the local
//     trainer process, then RUNS times on a real `nas-studio worker` process joined by code to a coordinator
//     (its own redis-server, TLS, the sha256 file server, the coordinator reading the stream into SQLite);
//     medians of queue → worker started, → completed in SQLite, and the overhead over the local run. The first
//     dispatched run also fetches the dataset (the worker's cache is cold): reported on its own.
//   - per event: a synthetic producer writes EVENTS metric events (4 values each) on a run's stream as fast as
//     Redis takes them; how many per second one coordinator ingests into SQLite, and at a low rate the delay
//     from XADD to the row in SQLite.
// Prints one JSON object. Not a test: nothing here fails on a slow machine.
//
//   npm run bench:dispatch                         (builds first)
//   BENCH_RUNS=3 BENCH_EVENTS=20000 BENCH_LIVE=30 node test/bench/dispatch/run.js
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const LIVE = Number(process.env.BENCH_LIVE ?? 30);
const APP_VERSION = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const TRAINER = path.join(root, 'out', 'main', 'trainer.js');
const CLI = path.join(root, 'bin', 'nas-studio.js');

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x) => Math.round(x * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(fn, what, timeoutMs = 300_000, everyMs = 5) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function bundle() {
  const out = path.join(root, 'out', 'bench', 'dispatch-lab.mjs');
  const { build } = await import('rolldown');
  await build({
    input: path.join(here, 'entry.ts'),
    platform: 'node',
    external: ['better-sqlite3', 'bullmq', 'ioredis', /^node:/, /^@tensorflow\//],
    logLevel: 'silent',
    output: { file: out, format: 'esm' },
  });
  return import(pathToFileURL(out).href);
}

function tinyConfig(m, seed) {
  const flat = { space: 'nb201', strategy: 'darts', dataset: '1', epochs: 1, trainLimit: 100, channels: 4, cells: 1, batchSize: 25, seed };
  return m.parseSearchConfig(m.upgradeStoredConfig(flat));
}

/** The local baseline: the trainer process the app forks for a run here. */
async function localRun(m, data, runDir, seed) {
  const backend = new m.LocalProcessBackend(TRAINER);
  const t0 = performance.now();
  let firstEvent = null;
  const exit = await new Promise((resolve) => {
    backend.start({ config: tinyConfig(m, seed), data, runDir, appVersion: APP_VERSION }, { onEvent: () => (firstEvent ??= performance.now()), onExit: resolve });
  });
  if (exit.status !== 'completed') throw new Error(`local run ${exit.status}: ${exit.error ?? ''}`);
  return { startedMs: firstEvent - t0, totalMs: performance.now() - t0 };
}

function startWorker(code, dataDir) {
  const proc = spawn(process.execPath, [CLI, 'worker', '--name', 'bench-w', '--data-dir', dataDir], { env: { ...process.env, NAS_STUDIO_JOIN_CODE: code }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  return { proc, output: () => out };
}

async function dispatchedRun(m, store, lab, seed) {
  const id = store.runs.create(tinyConfig(m, seed), { id: null, name: 'demo' }, { status: 'queued' });
  store.dispatch.setWhere(id, 'bench-w');
  const t0 = performance.now();
  await lab.dispatcher.submit(id);
  let started = null;
  await until(() => {
    const s = store.runs.summary(id)?.status;
    if (s === 'running' && started === null) started = performance.now();
    if (s === 'failed') throw new Error(`dispatched run failed: ${store.runs.summary(id).error}`);
    return s === 'completed';
  }, `run ${id} to complete`);
  return { startedMs: (started ?? performance.now()) - t0, totalMs: performance.now() - t0 };
}

async function ingestRate(m, store, lab, redisConn) {
  const id = store.runs.create(tinyConfig(m, 0), { id: null, name: 'demo' }, { status: 'queued' });
  // Sent to a worker name nobody serves: the job waits, the synthetic producer plays its worker.
  store.dispatch.setWhere(id, 'synthetic');
  const attempt = await lab.dispatcher.submit(id);
  const redis = await m.connectRedis(redisConn);
  const key = m.streamKey(id);
  let seq = 0;
  const add = (p, entry) => p.xadd(key, '*', ...m.encodeEntry(attempt, ++seq, entry));
  await add(redis, { kind: 'started', worker: 'synthetic' });
  const ingested = () => store.dispatch.current(id)?.lastSeq ?? 0;
  await until(() => ingested() >= seq, 'the started entry');
  const metric = (step) => ({ kind: 'event', event: { type: 'metrics', step, epoch: 0, values: { train_loss: 1 / (step + 1), train_acc: step / EVENTS, val_loss: 1, val_acc: 0.5 } } });

  // Throughput: EVENTS as fast as Redis takes them, in pipelines of 500.
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i += 500) {
    const p = redis.pipeline();
    for (let j = i; j < Math.min(EVENTS, i + 500); j++) add(p, metric(j));
    await p.exec();
  }
  const produced = performance.now() - t0;
  await until(() => ingested() >= seq, `${EVENTS} events ingested`, 600_000, 2);
  const total = performance.now() - t0;
  const rows = store.db.prepare('SELECT COUNT(*) AS n FROM metrics WHERE run_id = ?').get(id).n;

  // Delay at a low rate: one event at a time, XADD → its row committed in SQLite.
  const delays = [];
  for (let i = 0; i < LIVE; i++) {
    const t = performance.now();
    await add(redis, metric(EVENTS + i));
    await until(() => ingested() >= seq, 'a live event', 10_000, 1);
    delays.push(performance.now() - t);
    await sleep(20);
  }
  redis.disconnect();
  return {
    events: EVENTS,
    metricRows: rows,
    producerEventsPerSecond: Math.round(EVENTS / (produced / 1000)),
    ingestedEventsPerSecond: Math.round(EVENTS / (total / 1000)),
    ingestedRowsPerSecond: Math.round(rows / (total / 1000)),
    liveDelayMs: { median: round(median(delays)), max: round(Math.max(...delays)), n: delays.length },
  };
}

async function main() {
  for (const f of [TRAINER, path.join(root, 'out', 'main', 'cli.js')]) if (!existsSync(f)) throw new Error(`${f} is missing: run 'npm run build' first.`);
  const m = await bundle();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'nas-bench-dispatch-'));
  const demoDir = m.defaultDemoDatasetDir();
  const { train } = m.validateMnistFolder(demoDir);
  const data = { trainImages: train.images, trainLabels: train.labels, name: 'Fashion-MNIST demo' };
  let lab = null;
  let worker = null;
  let store = null;
  try {
    mkdirSync(path.join(tmp, 'coordinator'), { recursive: true });
    store = m.Store.open(path.join(tmp, 'coordinator', 'nas-studio.db'));
    lab = await m.startLabCoordinator({
      dataDir: path.join(tmp, 'coordinator'),
      context: { store, resolveDataset: () => ({ ref: data }), benchmarkTable: () => null },
      appVersion: APP_VERSION,
      bind: '127.0.0.1',
      redisPort: 0,
    });
    worker = startWorker(lab.joinCode(), path.join(tmp, 'worker'));
    await until(() => /joined the lab/.test(worker.output()) || worker.proc.exitCode !== null, 'the worker to join', 60_000, 50);
    if (worker.proc.exitCode !== null) throw new Error(`the worker exited:\n${worker.output()}`);

    // Warm-up of each (the first dispatch also fills the worker's dataset cache), then local and dispatched
    // runs in turn, so a change in the machine's load falls on both alike; the overhead is the median of the
    // pairs' differences.
    await localRun(m, data, path.join(tmp, 'local', 'warm'), 99);
    const cold = await dispatchedRun(m, store, lab, 99);
    const local = [];
    const remote = [];
    for (let i = 0; i < RUNS; i++) {
      local.push(await localRun(m, data, path.join(tmp, 'local', String(i)), i));
      remote.push(await dispatchedRun(m, store, lab, i));
    }
    const warm = remote;
    const events = await ingestRate(m, store, lab, lab.managed.coordinatorConnection());

    const localTotal = median(local.map((r) => r.totalMs));
    const result = {
      benchmark: 'dispatch',
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown' },
      config: { space: 'nb201', strategy: 'darts', epochs: 1, trainLimit: 100, channels: 4, cells: 1, batchSize: 25, runs: RUNS },
      transport: { redis: lab.redis, files: lab.filesUrl },
      perRun: {
        local: { firstEventMs: round(median(local.map((r) => r.startedMs))), totalMs: round(localTotal) },
        dispatched: { queueToWorkerStartedMs: round(median(warm.map((r) => r.startedMs))), totalMs: round(median(warm.map((r) => r.totalMs))) },
        overheadMs: round(median(warm.map((r, i) => r.totalMs - local[i].totalMs))),
        firstDispatchWithDatasetFetch: { queueToWorkerStartedMs: round(cold.startedMs), totalMs: round(cold.totalMs) },
      },
      perEvent: events,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } catch (e) {
    if (worker) process.stderr.write(`worker output:\n${worker.output()}\n`);
    throw e;
  } finally {
    if (worker && worker.proc.exitCode === null) {
      worker.proc.kill('SIGTERM');
      await until(() => worker.proc.exitCode !== null || worker.proc.signalCode !== null, 'the worker to leave', 15_000, 50).catch(() => worker.proc.kill('SIGKILL'));
    }
    await lab?.stop();
    store?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench:dispatch failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
