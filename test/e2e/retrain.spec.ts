import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTempDir, startServer, waitFor, type ServerProcess } from '../support/nas-server';
import { launchBrowser, openPage, tid, waitStatus } from './browser';

// Retrain from a finished search, in Chromium against the real server, trainer and SQLite file: one click on
// the search's page (a tiny budget), the retrain trains the found cell from scratch and reports its test
// accuracy, parameters, FLOPs and latency; lineage links lead from the retrain to its search and back.
// Screenshots: test-artifacts/e2e/retrain-*.png.

describe('e2e: retrain the winner of a search', () => {
  const tmp = makeTempDir('nas-e2e-retrain-');
  let s: ServerProcess;
  let browser: Browser;
  let searchId: number;
  beforeAll(async () => {
    [s, browser] = await Promise.all([startServer(tmp.dir), launchBrowser()]);
    const demo = await s.call<{ id: number }>('datasets.importBuiltin', { which: 'demo' });
    const config = { dataset: String(demo.id), trainLimit: 200, batchSize: 32, seed: 2, space: { name: 'nb201', channels: 4, cells: 1 }, strategy: { name: 'darts', epochs: 1 } };
    searchId = (await s.call<{ id: number }>('runs.create', { config })).id;
    await waitFor(async () => ((await s.call<{ status: string }>('runs.get', { id: searchId })).status === 'completed' ? true : null), 'search completed', { timeoutMs: 240_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    tmp.dispose();
  });

  test('one click from the search, a tiny budget; the retrain reports its evaluation and links back', { timeout: 600_000 }, async () => {
    const { page, shot, pageErrors } = await openPage(browser);
    await page.setViewportSize({ width: 1280, height: 1600 });
    await page.goto(`${s.url.split('#')[0]}#/runs/${searchId}`);
    await waitStatus(page, 'completed');
    await page.click(tid('run-retrain'));
    await page.locator(tid('retrain-dialog')).waitFor();
    await page.fill(tid('retrain-epochs'), '1');
    await page.fill(tid('retrain-channels'), '4');
    await page.fill(tid('retrain-cells'), '1');
    await shot('retrain-01-dialog');
    await page.click(tid('retrain-start'));

    // The new run opens: a retrain of the search, which completes with its measurements.
    await page.waitForURL((url) => !url.hash.endsWith(`/runs/${searchId}`) && /\/runs\/\d+$/.test(url.hash), { timeout: 30_000 });
    const retrainId = Number(/\/runs\/(\d+)$/.exec(new URL(page.url()).hash)![1]);
    await waitStatus(page, 'completed', 400_000);
    const detail = await s.call<{ kind: string; parentId: number | null; arch: string; evaluation: { testAccuracy: number; params: number } | null }>('runs.get', { id: retrainId });
    const search = await s.call<{ arch: string }>('runs.get', { id: searchId });
    expect(detail.kind).toBe('retrain');
    expect(detail.parentId).toBe(searchId);
    expect(detail.arch).toBe(search.arch);
    expect(detail.evaluation!.params).toBeGreaterThan(0);
    await page.locator(tid('evaluation-panel')).waitFor();
    const shownAccuracy = await page.locator(tid('evaluation-test-accuracy')).innerText();
    expect(shownAccuracy).toContain((100 * detail.evaluation!.testAccuracy).toFixed(2));
    await shot('retrain-02-completed');

    // Lineage both ways.
    await page.click(tid('run-parent-link'));
    await page.waitForURL((url) => url.hash.endsWith(`/runs/${searchId}`));
    await page.locator(tid(`run-child-link-${retrainId}`)).waitFor();
    await shot('retrain-03-parent-links-child');
    await page.click(tid(`run-child-link-${retrainId}`));
    await page.waitForURL((url) => url.hash.endsWith(`/runs/${retrainId}`));
    expect(pageErrors).toEqual([]);
  });
});
