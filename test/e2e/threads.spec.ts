import { describe, expect, test } from 'vitest';
import { STRATEGY_DESCRIPTORS } from '../../src/shared/strategies/registry';
import { e2eSession, importDemo, openPage, tid, waitStatus } from './browser';

// Training on two threads from the New-run form, in Chromium against the real headless server, trainer and
// SQLite file: the Threads field offers the server's cores, hides for a strategy that trains on one thread
// (saying why), the pre-flight sizes each thread's heap, and the run view shows "Threads: 2 (…)" and the
// trainer's CPU use while it trains. Timings are not asserted (the machine is shared).
// Screenshots: test-artifacts/e2e/threads-*.png.

describe('e2e: a search on two threads from the New-run form', () => {
  const session = e2eSession('nas-e2e-threads-', importDemo);

  test('choose 2 threads, start a tiny DARTS search on the demo set, see the threads and the CPU in the run view', { timeout: 600_000 }, async () => {
    const { page, shot, pageErrors } = await openPage(session.browser);
    await page.setViewportSize({ width: 1280, height: 1100 });
    const { cores } = await session.server.call('app.info', {});
    await page.goto(`${session.server.url.split('#')[0]}#/new`);
    await page.locator(tid('new-run-form')).waitFor();
    await expect.poll(() => page.locator(tid('new-run-dataset')).inputValue(), { timeout: 15_000 }).not.toBe('');

    // auto, then 1 … the server's cores (this test needs a machine with two).
    expect(cores).toBeGreaterThanOrEqual(2);
    const threads = page.locator(tid('new-run-threads'));
    const choices = await threads.locator('option').evaluateAll((els) => els.map((el) => el.getAttribute('value') ?? ''));
    expect(choices).toEqual(['auto', ...Array.from({ length: cores }, (_, i) => String(i + 1))]);
    await expect(threads.locator('xpath=..').textContent()).resolves.toContain('auto: the idle cores; each thread trains a share of every batch');

    // A strategy that cannot split a batch says why instead of offering the field (its descriptor's words).
    await page.selectOption(tid('new-run-space'), 'mobilenet');
    await page.selectOption(tid('new-run-strategy'), 'instanas');
    const single = page.locator(tid('new-run-threads-single'));
    await expect(single.textContent()).resolves.toContain(STRATEGY_DESCRIPTORS.instanas.singleThreadReason!);
    await expect(threads.count()).resolves.toBe(0);
    await shot('threads-01-single-thread-strategy');
    await page.selectOption(tid('new-run-space'), 'nb201');
    await page.selectOption(tid('new-run-strategy'), 'darts');

    // BatchNorm across threads only where there is more than one.
    await page.selectOption(tid('new-run-threads'), '1');
    await expect(page.locator(tid('new-run-thread-bn')).count()).resolves.toBe(0);
    await page.selectOption(tid('new-run-threads'), '2');
    await expect(page.locator(tid('new-run-thread-bn')).inputValue()).resolves.toBe('sync');

    await page.fill(tid('new-run-name'), 'e2e threads');
    for (const [field, value] of [
      ['train-limit', '600'],
      ['channels', '4'],
      ['cells', '1'],
      ['batch-size', '16'],
      ['epochs', '3'],
    ] as const) {
      await page.fill(tid(`new-run-${field}`), value);
    }
    await page.selectOption(tid('new-run-backend'), 'wasm');
    // The pre-flight sizes one thread's heap and the process's total, and times the step on the two threads.
    await expect.poll(() => page.locator(tid('new-run-preflight-threads')).textContent(), { timeout: 120_000 }).toMatch(/^2/);
    await expect.poll(() => page.locator(tid('new-run-preflight-memory')).textContent(), { timeout: 120_000 }).toMatch(/per thread .*each.*for all 2 threads/);
    await expect(page.locator(tid('new-run-preflight-epoch-time')).textContent()).resolves.toMatch(/^≈ .+ on 2 threads \(\d+ ms per step × \d+ steps\)$/);
    await shot('threads-02-new-run');

    await page.click(tid('new-run-start'));
    await page.waitForURL(/#\/runs\/\d+$/);
    const id = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    const stored = await session.server.call('runs.get', { id });
    expect(stored.config).toMatchObject({ threads: 2, threadBn: 'sync', backend: 'wasm', batchSize: 16 });

    await waitStatus(page, 'running', 60_000);
    const runThreads = page.locator(tid('run-threads'));
    await runThreads.waitFor({ timeout: 120_000 });
    await expect(runThreads.textContent()).resolves.toMatch(/Threads:\s*2 \(synchronised BatchNorm\)/);
    // The trainer's CPU use, live beside the ETA while it trains.
    const cpu = page.locator(tid('run-cpu'));
    await cpu.waitFor({ timeout: 240_000 });
    const cpuText = (await cpu.textContent())!;
    expect(cpuText).toMatch(/^CPU: \d+\.\d cores busy$/);
    expect(Number(/(\d+\.\d)/.exec(cpuText)![1])).toBeGreaterThan(0);
    // … next to the ETA, which the progress rate gives.
    await page.locator(tid('run-eta')).waitFor({ timeout: 60_000 });
    await shot('threads-03-run-live');

    await waitStatus(page, 'completed', 540_000);
    const finished = await session.server.call('runs.get', { id });
    expect(finished.environment?.threads).toBe(2);
    // The CPU figure is kept with the run's metrics.
    const metrics = await session.server.call<Record<string, [number, number, number][]>>('runs.metrics', { id });
    expect(metrics.cpu_cores?.length).toBeGreaterThan(0);
    for (const [, , cores] of metrics.cpu_cores!) expect(cores).toBeGreaterThan(0);
    // Reported, not asserted: the cores busy depend on what else the machine runs.
    process.stderr.write(`threads e2e: cpu_cores samples ${metrics.cpu_cores!.map(([, , c]) => c).join(', ')}\n`);
    await expect(runThreads.textContent()).resolves.toMatch(/Threads:\s*2/);
    await shot('threads-04-run-completed');
    expect(pageErrors).toEqual([]);
  });
});
