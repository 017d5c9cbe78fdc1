import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTempDir, startServer, type ServerProcess } from '../support/nas-server';
import { launchBrowser, openPage, progressFraction, tid, waitProgressAbove, waitStatus } from './browser';

// A person's path through the UI, against the real headless server, real trainer and real SQLite file.

describe('e2e: datasets → new run → live run → history', () => {
  const tmp = makeTempDir('nas-e2e-path-');
  let s: ServerProcess;
  let browser: Browser;
  beforeAll(async () => {
    [s, browser] = await Promise.all([startServer(tmp.dir), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    tmp.dispose();
  });

  test('import the demo set, start a small search, watch it complete, find it again after a restart', { timeout: 300_000 }, async () => {
    const { page, shot, pageErrors } = await openPage(browser);
    await page.goto(s.url);
    await page.locator(tid('runs-empty')).waitFor();
    await shot('01-runs-empty');

    // Datasets: import the built-in demo set; its shape, class counts and sample images show.
    await page.click(tid('nav-datasets'));
    await page.click(tid('datasets-empty-import-demo'));
    const row = page.locator(tid('dataset-row'));
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/Fashion-MNIST demo.*28×28×1/);
    await row.click();
    const detail = page.locator(tid('dataset-detail'));
    await detail.waitFor();
    await expect(detail.textContent()).resolves.toMatch(/28 × 28 × 1/);
    expect(await detail.locator('.class-bars .cb').count()).toBe(10);
    await page.locator(tid('dataset-sample')).nth(9).waitFor();
    expect(await page.locator(tid('dataset-sample')).count()).toBeGreaterThanOrEqual(10);
    await shot('02-datasets-demo');

    // New run: a small budget.
    await page.click(tid('nav-new'));
    await page.locator(tid('new-run-form')).waitFor();
    // The form picks the dataset once the list has loaded (a busy machine may take a moment).
    await expect.poll(() => page.locator(tid('new-run-dataset')).inputValue(), { timeout: 15_000 }).not.toBe('');
    await page.fill(tid('new-run-name'), 'e2e demo search');
    for (const [field, value] of [['epochs', '2'], ['train-limit', '300'], ['channels', '4'], ['cells', '1'], ['batch-size', '32']]) {
      await page.fill(tid(`new-run-${field}`), value);
    }
    await shot('03-new-run-form');
    await page.click(tid('new-run-start'));
    await page.waitForURL(/#\/runs\/\d+$/);
    const id = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);

    // Run view: progress advances and the curves draw while it trains.
    await expect(page.locator(tid('run-name')).textContent()).resolves.toBe('e2e demo search');
    await waitStatus(page, 'running', 20_000);
    await waitProgressAbove(page, 0);
    const early = await progressFraction(page);
    await page.locator(`${tid('run-chart-loss')} canvas`).first().waitFor({ timeout: 60_000 });
    await page.locator(`${tid('run-chart-accuracy')} canvas`).first().waitFor();
    await shot('04-run-live');
    await waitProgressAbove(page, early);
    await waitStatus(page, 'completed');
    expect(await progressFraction(page)).toBe(1);

    // The NAS-Bench-201 result panel.
    await page.locator(tid('run-nb201')).waitFor();
    const arch = (await page.locator(tid('run-arch')).textContent())!.trim();
    expect(arch).toMatch(/^\|.+~0\|\+\|.+~2\|$/);
    const detailApi = await s.call('runs.get', { id });
    expect(arch).toBe(detailApi.arch);
    const rank = Number((await page.locator(tid('run-nb201-rank')).textContent())!.replace(/,/g, ''));
    expect(rank).toBe(detailApi.nb201.rank);
    await page.locator(tid('run-chart-alpha')).waitFor();
    await shot('05-run-completed');

    // Runs list shows it.
    await page.click(tid('nav-runs'));
    const listed = page.locator(`${tid('runs-row')}[data-run-id="${id}"]`);
    await listed.waitFor();
    await expect(listed.textContent()).resolves.toContain('e2e demo search');
    await expect(listed.locator('[data-status]').getAttribute('data-status')).resolves.toBe('completed');
    await shot('06-runs-list');

    // Restart the server on the same data folder: the run is still in the history.
    await s.stop();
    s = await startServer(tmp.dir);
    await page.goto(s.url);
    const again = page.locator(`${tid('runs-row')}[data-run-id="${id}"]`);
    await again.waitFor();
    await expect(again.textContent()).resolves.toContain('e2e demo search');
    await expect(again.locator('[data-status]').getAttribute('data-status')).resolves.toBe('completed');
    await shot('07-runs-after-restart');
    await again.click();
    await page.locator(tid('run-nb201')).waitFor();
    await expect(page.locator(tid('run-arch')).textContent()).resolves.toContain(arch);
    expect(pageErrors).toEqual([]);
  });
});
