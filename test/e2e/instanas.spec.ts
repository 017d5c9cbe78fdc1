import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { RunDetail } from '../../src/shared/api';
import { e2eSession, importDemo, openPage, tid, waitStatus } from './browser';

// InstaNAS from the New-run form, in Chromium against the real headless server, trainer and SQLite file, on
// a tiny budget (demo set, width 0.25, 7 blocks, 300 images, 1 pretraining + 2 search epochs): the live
// curves fill in while it searches; when done, the accuracy–latency chart with the variants and the
// baseline, the path gallery of test images (cheapest path first) and a variant export.
// Screenshots (1280 px wide): test-artifacts/e2e/instanas-*.png.

describe('e2e: InstaNAS from the New-run form', () => {
  const session = e2eSession('nas-e2e-instanas-', importDemo);

  test('launch it, watch the search, read the trade-off and the paths, export a variant', { timeout: 900_000 }, async () => {
    const { page, shot, tallShot, pageErrors } = await openPage(session.browser);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${session.server.url.split('#')[0]}#/new`);
    await page.locator(tid('new-run-form')).waitFor();
    await expect.poll(() => page.locator(tid('new-run-dataset')).inputValue(), { timeout: 15_000 }).not.toBe('');

    // The space first (InstaNAS searches only the MobileNetV2 meta-graph), then the strategy with the paper's defaults.
    await page.selectOption(tid('new-run-space'), 'mobilenet');
    await page.selectOption(tid('new-run-strategy'), 'instanas');
    await expect(page.locator(tid('new-run-strategy-summary')).textContent()).resolves.toMatch(/latency/i);
    const defaults: [string, string][] = [['pretrain-epochs', '164'], ['epochs', '500'], ['pos-reward', '30'], ['neg-reward', '0'], ['width-mult', '1'], ['blocks', '17']];
    for (const [field, value] of defaults) await expect(page.locator(tid(`new-run-${field}`)).inputValue(), field).resolves.toBe(value);
    await expect(page.locator(tid('new-run-latency-window')).inputValue()).resolves.toBe('dynamic');
    // No cells or channels in this space.
    await expect(page.locator(tid('new-run-channels')).count()).resolves.toBe(0);

    await page.fill(tid('new-run-name'), 'e2e instanas');
    const values: [string, string][] = [
      ['width-mult', '0.25'],
      ['blocks', '7'],
      ['train-limit', '300'],
      ['batch-size', '32'],
      ['pretrain-epochs', '1'],
      ['epochs', '2'],
    ];
    for (const [field, value] of values) await page.fill(tid(`new-run-${field}`), value);
    await expect(page.locator(tid('new-run-preflight-epochs')).textContent()).resolves.toMatch(/^\s*6\s*$/); // 1 + 2, then the baseline's 3
    await expect(page.locator(tid('new-run-preflight')).textContent()).resolves.toMatch(/7 blocks × 5 ops/);
    await page.click(tid('new-run-advanced'));
    await expect(page.locator(tid('new-run-bound')).inputValue()).resolves.toBe('0.8');
    await expect(page.locator(tid('new-run-entropy-weight')).inputValue()).resolves.toBe('0.8');
    await page.fill(tid('new-run-measure-samples'), '5');
    await tallShot('instanas-01-new-run', 1900);
    await page.click(tid('new-run-start'));
    await page.waitForURL(/#\/runs\/\d+$/);
    const id = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    const stored = await session.server.call<RunDetail>('runs.get', { id });
    expect(stored.config.space).toMatchObject({ name: 'mobilenet', widthMult: 0.25, blocks: 7 });
    expect(stored.config.strategy).toMatchObject({ name: 'instanas', pretrainEpochs: 1, epochs: 2, posReward: 30, negReward: 0, latencyWindow: 'dynamic', measureSamples: 5 });

    // Live: phase 1's keep-probability, then the controller's reward and the latency inside its window.
    await waitStatus(page, 'running', 60_000);
    const points = (chart: string) => page.locator(tid(chart)).getAttribute('data-points').then(Number);
    await expect.poll(() => points('instanas-chart-keep-prob'), { timeout: 300_000, interval: 1000 }).toBeGreaterThan(0);
    await expect.poll(() => points('instanas-chart-reward'), { timeout: 400_000, interval: 1000 }).toBeGreaterThan(0);
    await expect.poll(() => points('instanas-chart-latency'), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect(page.locator(tid('instanas-phase')).textContent()).resolves.toMatch(/phase 2/);
    await page.locator(`${tid('instanas-usage-heatmap')} canvas`).first().waitFor({ timeout: 60_000 });
    await tallShot('instanas-02-live', 1800);

    await waitStatus(page, 'completed', 600_000);
    const done = await session.server.call<RunDetail>('runs.get', { id });
    const r = done.instanas!;
    expect(r).not.toBeNull();
    // The trade-off: key figures as stored, the chart, one table row per variant.
    await page
      .locator(`${tid('instanas-chart-tradeoff')} canvas`)
      .first()
      .waitFor({ timeout: 30_000 })
      .catch(async (e: unknown) => {
        await tallShot('instanas-failed', 3200);
        throw new Error(`${(e as Error).message}\npage errors: ${pageErrors.join(' | ')}`);
      });
    await expect(page.locator(tid('instanas-figure-test-accuracy')).textContent()).resolves.toContain(`${(100 * r.testAccuracy).toFixed(2)} %`);
    await expect(page.locator(tid('instanas-figure-distinct')).textContent()).resolves.toContain(String(r.policy.distinct));
    await expect(page.locator(`${tid('instanas-variants')} tbody tr`).count()).resolves.toBe(r.variants.length);
    await page.locator(`${tid('instanas-chart-histogram')} canvas`).first().waitFor();
    // The gallery: every stored path, cheapest first, with test images drawn from the dataset.
    const paths = page.locator('[data-testid^="instanas-path-"]');
    await expect.poll(() => paths.count()).toBe(r.paths.length);
    const latencies = await paths.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-latency'))));
    expect(latencies).toEqual([...latencies].sort((a, b) => a - b));
    await expect.poll(() => page.locator(`${tid('instanas-gallery')} ${tid('dataset-sample')}`).count(), { timeout: 15_000 }).toBe(
      r.paths.reduce((n, p) => n + p.samples.length, 0),
    );
    // No cell graph in a space without cells.
    await expect(page.locator(tid('cell-graph')).count()).resolves.toBe(0);
    await tallShot('instanas-03-completed', 3200);
    await page.locator(tid('instanas-tradeoff')).screenshot({ path: 'test-artifacts/e2e/instanas-04-tradeoff.png' });
    await page.locator(tid('instanas-gallery')).screenshot({ path: 'test-artifacts/e2e/instanas-05-gallery.png' });

    // Export the first variant: its description and weights land in the data folder.
    const first = r.variants[0]!;
    await page.click(tid(`instanas-export-${first.label}`));
    const line = await page.locator(tid(`instanas-exported-${first.label}`)).textContent({ timeout: 60_000 });
    const dir = line!.split('→')[1]!.trim();
    const model = JSON.parse(readFileSync(`${dir}/instanas.json`, 'utf8')) as { weightsManifest: unknown[]; variant: { label: string } };
    expect(model.variant.label).toBe(first.label);
    expect(existsSync(`${dir}/weights.bin`)).toBe(true);
    // An unknown variant is named.
    const refused = await session.server.raw('runs.exportVariant', { id, label: 'Z' });
    expect(refused.status).toBe(404);
    expect(refused.body.hint).toContain(first.label);

    // The runs list shows the run with its test accuracy.
    await page.goto(`${session.server.url.split('#')[0]}#/runs`);
    await page.locator(tid('runs-row')).first().waitFor();
    await expect(page.locator(tid('runs-row')).first().textContent()).resolves.toContain('e2e instanas');
    await shot('instanas-06-runs-list');
    expect(pageErrors).toEqual([]);
  });
});
