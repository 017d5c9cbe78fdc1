import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTempDir, startServer, type ServerProcess } from '../../support/nas-server';
import { demoAsSplitFolders, labelsIdx, writeGz, writeGzipBomb } from './fixtures';

// Imports through the real headless server (out/main/server.js): the request path stays free while files
// are read, a FIFO cannot block it, a gzip bomb cannot inflate its memory, and the demo set laid out as
// train/ and test/ folders keeps its 3,000 training images.

const FMNIST = '/usr/share/datasets/fashion-mnist';

/** kB → bytes of a /proc/<pid>/status field (VmRSS: resident now, VmHWM: the peak so far). */
function procMemory(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

describe('dataset imports through the headless server', () => {
  const tmp = makeTempDir('nas-it-import-');
  const dataDir = join(tmp.dir, 'data');
  let s: ServerProcess;
  beforeAll(async () => {
    s = await startServer(dataDir);
  });
  afterAll(async () => {
    await s?.stop();
    tmp.dispose();
  });
  const leftovers = () => (existsSync(join(dataDir, 'datasets')) ? readdirSync(join(dataDir, 'datasets')).filter((n) => n.startsWith('.')) : []);

  /** Times app.info every 50 ms while `work` runs; returns the work's result and the slowest answer. */
  async function whileAnswering<T>(work: Promise<T>): Promise<{ result: T; slowestMs: number; answers: number }> {
    let done = false;
    let slowestMs = 0;
    let answers = 0;
    const poll = (async () => {
      while (!done) {
        const t = Date.now();
        await s.call('app.info');
        slowestMs = Math.max(slowestMs, Date.now() - t);
        answers++;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const result = await work.finally(() => (done = true));
    await poll;
    return { result, slowestMs, answers };
  }

  test('train/images.gz, train/labels.gz, test/images.gz, test/labels.gz import as four files: 3,000 + 500', async () => {
    const files = demoAsSplitFolders(join(tmp.dir, 'download'));
    const d = await s.call('datasets.import', { name: 'Demo (train/ and test/ folders)', ...files });
    expect(d).toMatchObject({ trainCount: 3000, testCount: 500, alreadyImported: false });
    expect(new Set(Object.values(JSON.parse(d.location))).size).toBe(4);
    // The same files under the built-in name, and again under a third name: already there, nothing added.
    const again = await s.call('datasets.importBuiltin', { which: 'demo' });
    expect(again).toMatchObject({ id: d.id, alreadyImported: true });
    const third = await s.call('datasets.import', { name: 'Once more', ...files });
    expect(third).toMatchObject({ id: d.id, alreadyImported: true });
  });

  test('a FIFO is refused by name at once, and app.info keeps answering within 2 s', async () => {
    const fifo = join(tmp.dir, 'train-images.fifo');
    execFileSync('mkfifo', [fifo]);
    const { result, slowestMs } = await whileAnswering(s.raw('datasets.import', { name: 'pipe', trainImages: fifo, trainLabels: fifo }));
    expect(result.status).toBe(400);
    expect(result.body.error).toContain(`${fifo}: is a named pipe (FIFO)`);
    expect(slowestMs).toBeLessThan(2000);
    const t = Date.now();
    await s.call('app.info');
    expect(Date.now() - t).toBeLessThan(2000);
    expect(leftovers()).toEqual([]);
  });

  test('a 512 MB gzip bomb is refused without the server’s memory growing by 100 MB', async () => {
    const bomb = join(tmp.dir, 'bomb-images.gz');
    await writeGzipBomb(bomb);
    const labels = writeGz(join(tmp.dir, 'bomb-labels.gz'), labelsIdx([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const rssBefore = procMemory(s.pid, 'VmRSS');
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, procMemory(s.pid, 'VmRSS'))), 10);
    const { result, slowestMs } = await whileAnswering(s.raw('datasets.import', { name: 'bomb', trainImages: bomb, trainLabels: labels }));
    clearInterval(sampler);
    expect(result.status).toBe(400);
    expect(result.body.error).toContain(`${bomb}: decompresses to more data than its header declares (10 images of 28×28, 7840 bytes)`);
    // The kernel's high-water mark catches a peak between samples too.
    peak = Math.max(peak, procMemory(s.pid, 'VmHWM'));
    expect(peak - rssBefore).toBeLessThan(100 * 1024 ** 2);
    expect(slowestMs).toBeLessThan(2000);
    expect(leftovers()).toEqual([]);
  });

  test('content that is not IDX (a file starting with "root") is refused without its bytes', async () => {
    const shadow = join(tmp.dir, 'shadow');
    writeFileSync(shadow, 'root:!:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n');
    const r = await s.raw('datasets.import', { name: 'shadow', trainImages: shadow, trainLabels: shadow });
    expect(r.status).toBe(400);
    expect(r.body.error).toContain(`${shadow}: is not an IDX file (bad magic number)`);
    expect(JSON.stringify(r.body)).not.toMatch(/root|726f6f74|72 6f 6f 74|daemon/);
    for (const path of ['/dev/zero', tmp.dir]) {
      const dev = await s.raw('datasets.import', { name: 'dev', trainImages: path, trainLabels: shadow });
      expect(dev.status).toBe(400);
      expect(dev.body.error).toMatch(new RegExp(`^${path}: is a (device|folder)`));
    }
  });

  test.skipIf(!existsSync(FMNIST))('importing the full Fashion-MNIST (26 MB gzip, 47 MB of images) leaves app.info answering within 2 s', async () => {
    const f = (n: string) => join(FMNIST, n);
    const work = s.call('datasets.import', {
      name: 'Fashion-MNIST full copy',
      trainImages: f('train-images-idx3-ubyte.gz'),
      trainLabels: f('train-labels-idx1-ubyte.gz'),
      testImages: f('t10k-images-idx3-ubyte.gz'),
      testLabels: f('t10k-labels-idx1-ubyte.gz'),
    });
    const { result, slowestMs, answers } = await whileAnswering(work);
    expect(result).toMatchObject({ trainCount: 60000, testCount: 10000, classNames: expect.arrayContaining(['Ankle boot']) });
    expect(answers).toBeGreaterThan(1);
    expect(slowestMs).toBeLessThan(2000);
    const samples = await s.call('datasets.samples', { id: result.id, perClass: 2 });
    expect(samples).toHaveLength(20);
  });
});
