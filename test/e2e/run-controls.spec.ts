import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { alive, demoConfig, makeTempDir, startServer, waitFor, type ServerProcess } from '../support/nas-server';
import { launchBrowser, openPage, tid, waitProgressAbove, waitStatus } from './browser';

// Crash and cancel seen from the Run view.

describe('e2e: run controls', () => {
  const tmp = makeTempDir('nas-e2e-ctl-');
  let s: ServerProcess;
  let browser: Browser;
  let datasetId: number;
  beforeAll(async () => {
    [s, browser] = await Promise.all([startServer(tmp.dir), launchBrowser()]);
    datasetId = (await s.call('datasets.importBuiltin', { which: 'demo' })).id;
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    tmp.dispose();
  });

  const runUrl = (id: number) => `${s.origin}/?token=${s.token}#/runs/${id}`;

  test('the trainer is killed mid-run: the UI shows failed with the reason, Resume completes it', async () => {
    const { id } = await s.call('runs.create', { config: demoConfig(datasetId, { name: 'e2e crash' }) });
    const { page, shot, pageErrors } = await openPage(browser);
    await page.goto(runUrl(id));
    await waitStatus(page, 'running', 20_000);
    await waitFor(async () => (await s.call('runs.get', { id })).lastCheckpointEpoch === 1, 'the first checkpoint', { timeoutMs: 60_000 });
    const kids = s.childPids();
    expect(kids).toHaveLength(1);
    process.kill(kids[0]!, 'SIGKILL');
    await waitFor(() => !alive(kids[0]!), 'the trainer to die');

    await waitStatus(page, 'failed', 20_000);
    const error = page.locator(tid('run-error'));
    await error.waitFor();
    await expect(error.textContent()).resolves.toMatch(/killed \(SIGKILL\)/);
    const resume = page.locator(tid('run-resume'));
    await expect(resume.textContent()).resolves.toMatch(/Resume/);
    expect(await resume.isEnabled()).toBe(true);
    await shot('10-run-killed');

    await resume.click();
    await waitStatus(page, 'completed');
    await page.locator(tid('run-nb201')).waitFor();
    await expect(page.locator(tid('run-error')).count()).resolves.toBe(0);
    await shot('11-run-resumed-completed');
    const m = await s.call('runs.metrics', { id });
    const spe = m.val_acc[0][0];
    expect(m.train_loss.map((p: number[]) => p[0])).toEqual(Array.from({ length: 2 * spe }, (_, i) => i + 1));
    expect(pageErrors).toEqual([]);
  });

  test('cancel from the UI', async () => {
    const { id } = await s.call('runs.create', { config: demoConfig(datasetId, { name: 'e2e cancel', epochs: 5 }) });
    const { page, shot, pageErrors } = await openPage(browser);
    await page.goto(runUrl(id));
    await waitStatus(page, 'running', 20_000);
    await waitProgressAbove(page, 0);
    await shot('12-run-before-cancel');
    await page.click(tid('run-cancel'));
    // A running search asks for a second click before throwing its work away.
    await page.waitForSelector(`${tid('run-cancel')}:has-text("Click again to cancel")`);
    expect((await s.call('runs.get', { id })).status).toBe('running');
    await page.click(tid('run-cancel'));
    await waitStatus(page, 'cancelled', 30_000);
    await expect(page.locator(tid('run-cancel')).count()).resolves.toBe(0);
    await expect(page.locator(tid('run-error')).count()).resolves.toBe(0);
    await shot('13-run-cancelled');
    expect((await s.call('runs.get', { id })).status).toBe('cancelled');
    expect(s.childPids()).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
