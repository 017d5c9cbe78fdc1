import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../../src/main/store/store';
import { searchConfig, tempDataDir } from './helpers';

const BATCHES = 300;
const BATCH_SIZE = 200; // points per batch: 100 steps × (train_loss, val_acc)
const ROOT = resolve(__dirname, '../../..');

// The writer is TypeScript that imports the real store. Bundle it to one .mjs (in 100 ms or so) inside the repo,
// so its bare imports (better-sqlite3, zod) resolve from node_modules, and fork plain Node on it.
let bundleDir: string;
let writerScript: string;

beforeAll(async () => {
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  bundleDir = mkdtempSync(join(cache, 'nas-store-writer-'));
  await build({
    configFile: false,
    logLevel: 'silent',
    root: ROOT,
    build: {
      ssr: join(__dirname, 'fixtures', 'metric-writer.ts'),
      outDir: bundleDir,
      emptyOutDir: false,
      minify: false,
      rollupOptions: { output: { format: 'es', entryFileNames: 'metric-writer.mjs' } },
    },
  });
  writerScript = join(bundleDir, 'metric-writer.mjs');
});

afterAll(() => {
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

describe('concurrent reads while another process writes', () => {
  it('never fails with SQLITE_BUSY and always sees whole batches, in order', async () => {
    const tmp = tempDataDir();
    const store = Store.open(tmp.dbPath);
    try {
      const runId = store.runs.create(searchConfig(), { id: null, name: 'Fashion-MNIST' });
      store.runs.setStatus(runId, 'running');
      const total = BATCHES * BATCH_SIZE;

      const writer = fork(writerScript, [tmp.dbPath, String(runId), String(BATCHES), String(BATCH_SIZE), '1'], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const exited = new Promise<number | null>((done) => writer.on('exit', (code) => done(code)));
      let writerDone = false;
      void exited.then(() => (writerDone = true));

      const seen: number[] = [];
      let last = 0;
      const deadline = Date.now() + 60_000;
      while (last < total && Date.now() < deadline) {
        // One read transaction: the list, the count and the series come from the same snapshot.
        const view = store.transaction(() => ({
          list: store.runs.list({ status: 'running' }),
          count: store.metrics.count(runId),
          series: store.metrics.series(runId, 200),
        }));
        expect(view.count % BATCH_SIZE, `a partial batch was visible (${view.count} points)`).toBe(0);
        expect(view.count).toBeGreaterThanOrEqual(last);
        const run = view.list.find((r) => r.id === runId)!;
        if (view.count === 0) {
          expect(run.bestAccuracy).toBeNull();
        } else {
          // The denormalised best accuracy moves in the same transaction as the points it comes from.
          const acc = view.series.val_acc!;
          expect(acc[acc.length - 1]![0]).toBe(view.count - 2); // the last step written
          expect(run.bestAccuracy).toBe(acc[acc.length - 1]![2]);
          expect(view.series.train_loss!.length).toBe(acc.length);
        }
        if (view.count !== last || seen.length === 0) seen.push(view.count);
        last = view.count;
        if (writerDone && last < total) break;
        await new Promise((r) => setImmediate(r));
      }

      expect(await exited).toBe(0);
      expect(store.metrics.count(runId)).toBe(total);
      expect(store.runs.summary(runId)!.bestAccuracy).toBe((total - 2) / total);
      // The reader really ran alongside the writer: it saw intermediate states.
      expect(seen.filter((n) => n > 0 && n < total).length).toBeGreaterThan(1);
      console.log(`reader saw ${seen.length} distinct states while ${BATCHES} batches were written`);
    } finally {
      store.close();
      tmp.dispose();
    }
  });
});
