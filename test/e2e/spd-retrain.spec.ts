import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTempDir, startServer, waitFor, type ServerProcess } from '../support/nas-server';
import { launchBrowser, openPage, tid, waitStatus } from './browser';

// Retrain of an SPDNetNAS search as a person does it, in Chromium against the real headless server, trainer
// and SQLite file: Retrain… on the finished search offers the network (the search's cell or the SPDNet
// baseline), each retrain ends with its evaluation card, and Compare puts the two in one table.
// Screenshots: test-artifacts/e2e/spd-retrain-*.png.

describe('e2e: SPD retrain and the SPDNet baseline', () => {
  const tmp = makeTempDir('nas-e2e-spd-retrain-');
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

  const completed = (id: number) =>
    waitFor(
      async () => {
        const r = await s.call<any>('runs.get', { id });
        if (r.status === 'failed') throw new Error(`run ${id} failed: ${r.error}`);
        return r.status === 'completed' ? r : null;
      },
      `run ${id} to complete`,
      { timeoutMs: 300_000, intervalMs: 250 },
    );

  test('retrain the cell and SPDNet from the run view, then compare them', { timeout: 600_000 }, async () => {
    const datasetId = (await s.call<{ id: number }>('datasets.importBuiltin', { which: 'spd-synthetic' })).id;
    const config = { name: 'spd search', dataset: String(datasetId), trainLimit: 60, batchSize: 10, seed: 1, backend: 'wasm', space: { name: 'spd' }, strategy: { name: 'spdnas', epochs: 1 } };
    const searchId = (await s.call<{ id: number }>('runs.create', { config })).id;
    await completed(searchId);

    const { page, shot, pageErrors } = await openPage(browser);
    await page.setViewportSize({ width: 1280, height: 900 });
    const base = s.url.split('#')[0];
    const retrainFromRunView = async (network: 'architecture' | 'spdnet'): Promise<number> => {
      await page.goto(`${base}#/runs/${searchId}`);
      await waitStatus(page, 'completed');
      await page.click(tid('run-retrain'));
      await page.selectOption(tid('retrain-network'), network);
      await expect(page.locator(tid('retrain-channels')).count()).resolves.toBe(network === 'spdnet' ? 0 : 1);
      await page.fill(tid('retrain-epochs'), '2');
      if (network === 'spdnet') await shot('spd-retrain-01-dialog');
      await page.click(tid('retrain-start'));
      // The dialog opens the new run.
      const runId = (url: string) => Number(/#\/runs\/(\d+)$/.exec(url)?.[1] ?? NaN);
      await page.waitForURL((url) => runId(url.toString()) > searchId).catch(async (e) => {
        await shot('spd-retrain-failed-start'); // the dialog's error toast, if any
        throw e;
      });
      return runId(page.url());
    };

    const baselineId = await retrainFromRunView('spdnet');
    await waitStatus(page, 'completed', 300_000);
    await page.locator(tid('evaluation-test-accuracy')).waitFor();
    await expect(page.locator(tid('run-arch')).textContent()).resolves.toBe('SPDNet 20→16→8');
    await shot('spd-retrain-02-baseline');

    const cellId = await retrainFromRunView('architecture');
    await waitStatus(page, 'completed', 300_000);
    await page.locator(tid('evaluation-test-accuracy')).waitFor();
    await page.locator(`${tid('run-cell')} svg`).first().waitFor();
    await shot('spd-retrain-03-cell');

    const [cell, baseline] = await Promise.all([s.call<any>('runs.get', { id: cellId }), s.call<any>('runs.get', { id: baselineId })]);
    expect(cell.config.strategy).toMatchObject({ name: 'retrain', network: 'architecture', epochs: 2 });
    expect(baseline.config.strategy).toMatchObject({ name: 'retrain', network: 'spdnet', epochs: 2 });

    await page.goto(`${base}#/runs`);
    for (const id of [cellId, baselineId]) await page.click(tid(`runs-select-${id}`));
    await page.click(tid('runs-compare'));
    await page.locator(tid('compare-ready')).waitFor();
    const rows = page.locator(`${tid('compare-row')}[data-key="evaluation.testAccuracy"]`);
    await rows.first().waitFor();
    const text = (await rows.first().textContent()) ?? '';
    for (const r of [cell, baseline]) expect(text).toContain(`${(100 * r.evaluation.testAccuracy).toFixed(2)} %`);
    await shot('spd-retrain-04-compare');
    expect(pageErrors).toEqual([]);
  });
});
