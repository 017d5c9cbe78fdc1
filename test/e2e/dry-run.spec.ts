import { describe, expect, test } from 'vitest';
import { e2eSession, importDemo, openPage, tid, waitStatus } from './browser';

// A dry run on the NAS-Bench-201 table from the New-run form, in Chromium against the real headless server,
// trainer and SQLite file: regularised evolution with 100 table queries completes in seconds, and the run view
// shows the benchmark panel (numbers as the API reports them) and the best-found-vs-evaluations chart.
// Screenshots (1280 px wide): test-artifacts/e2e/dry-run-*.png.

/** "93.76 %" → 93.76; "1,234" → 1234. */
const num = (text: string | null) => Number((text ?? '').replace(/[,%\s]/g, ''));

describe('e2e: dry run on the NAS-Bench-201 table', () => {
  // A dataset in the list: the form must still send none for a dry run.
  const session = e2eSession('nas-e2e-dry-run-', importDemo);

  test('launch evolution with 100 samples, see the benchmark panel and the trajectory, find it as a dry run in the list', { timeout: 240_000 }, async () => {
    const { page, shot, tallShot, pageErrors } = await openPage(session.browser);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${session.server.url.split('#')[0]}#/new`);
    await page.locator(tid('new-run-form')).waitFor();

    // DARTS has no dry run: the choice is not offered, only named.
    await expect(page.locator(tid('new-run-estimation')).count()).resolves.toBe(0);
    await page.locator(tid('new-run-estimation-unavailable')).waitFor();

    await page.selectOption(tid('new-run-strategy'), 'evolution');
    await page.check(tid('new-run-estimation-table'));
    // Training fields are gone; the table budget is under Budget.
    await page.locator(tid('new-run-dry-run-data')).waitFor();
    for (const gone of ['new-run-dataset', 'new-run-batch-size', 'new-run-train-limit', 'new-run-backend', 'new-run-augment', 'new-run-channels', 'new-run-epochs']) {
      await expect(page.locator(tid(gone)).count(), gone).resolves.toBe(0);
    }
    await page.locator(`${tid('new-run-budget')} ${tid('new-run-samples')}`).waitFor();
    await page.fill(tid('new-run-samples'), '100');
    await page.fill(tid('new-run-population'), '20');
    await page.fill(tid('new-run-sample-size'), '5');
    await page.fill(tid('new-run-seed'), '3');
    await page.fill(tid('new-run-name'), 'e2e dry run');
    await expect(page.locator(tid('new-run-preflight-queries')).textContent()).resolves.toBe('100');
    await expect(page.locator(tid('new-run-preflight-dry-run')).textContent()).resolves.toMatch(/no dataset, no training/);
    await expect(page.locator(tid('new-run-start')).textContent()).resolves.toContain('Start dry run');
    await shot('dry-run-01-new-run');

    await page.click(tid('new-run-start'));
    await page.waitForURL(/#\/runs\/\d+$/);
    const id = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    await waitStatus(page, 'completed', 120_000);

    const detail = await session.server.call('runs.get', { id });
    expect(detail.kind).toBe('dry-run');
    expect(detail.config).toMatchObject({ estimation: 'nb201-table', dataset: '', seed: 3, strategy: { name: 'evolution', samples: 100, population: 20, sampleSize: 5 } });
    expect(detail.nb201).not.toBeNull();

    // The benchmark panel says what the API says, dataset by dataset.
    const panel = page.locator(tid('run-nb201'));
    await panel.waitFor();
    await expect(panel.locator(tid('run-nb201-arch')).textContent()).resolves.toBe(detail.nb201.arch);
    expect(num(await panel.locator(tid('run-nb201-acc-cifar10')).textContent())).toBeCloseTo(detail.nb201.cifar10, 2);
    expect(num(await panel.locator(tid('run-nb201-acc-cifar100')).textContent())).toBeCloseTo(detail.nb201.cifar100, 2);
    expect(num(await panel.locator(tid('run-nb201-acc-imagenet16')).textContent())).toBeCloseTo(detail.nb201.imagenet16, 2);
    expect(num(await panel.locator(tid('run-nb201-rank')).textContent())).toBe(detail.nb201.rank);
    if (detail.nb201.byMetric?.cifar100) expect(num(await panel.locator(tid('run-nb201-rank-cifar100')).textContent())).toBe(detail.nb201.byMetric.cifar100.rank);
    if (detail.nb201.canonical) await expect(panel.locator(tid('run-nb201-canonical')).textContent()).resolves.toBe(detail.nb201.canonical);
    // The run's own summary: 100 table queries, and its notes in plain sight.
    expect(detail.summary).toBeTruthy();
    expect(num(await panel.locator(tid('run-summary-evaluations')).textContent())).toBe(detail.summary.evaluations);
    expect(detail.summary.evaluations).toBe(100);
    for (const note of detail.summary.notes as string[]) await expect(panel.locator(tid('run-summary-notes')).textContent()).resolves.toContain(note);

    // The trajectory: one point per evaluated architecture, drawn on a canvas.
    const metrics = await session.server.call('runs.metrics', { id });
    const chart = page.locator(tid('run-chart-trajectory'));
    await chart.locator('canvas').waitFor();
    await expect(chart.getAttribute('data-points')).resolves.toBe(String(metrics.candidate_score.length));
    expect(metrics.candidate_score.length).toBe(100);
    // The best so far never falls, and ends at the returned architecture's CIFAR-10 accuracy.
    const best = (metrics.best_cifar10 as [number, number, number][]).map((p) => p[2]);
    expect(best[best.length - 1]).toBeCloseTo(detail.nb201.cifar10, 4);
    // No training curves promised for a dry run: no benchmark-per-epoch panel.
    await expect(page.locator(tid('run-chart-benchmark')).count()).resolves.toBe(0);
    await tallShot('dry-run-02-run-completed', 2200);

    // In the list: a dry-run badge, and the kind filter finds it.
    await page.click(tid('nav-runs'));
    const row = page.locator(`${tid('runs-row')}[data-run-id="${id}"]`);
    await row.locator(tid('runs-dry-run-badge')).waitFor();
    // 'Regularised evolution', the longest strategy label, is whole in a wide and a narrow window.
    for (const width of [1280, 1024]) {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForTimeout(200);
      const strategyCell = row.locator(':nth-child(5)'); // after the Compare selection box
      await expect(strategyCell.textContent()).resolves.toBe('Regularised evolution');
      await expect(strategyCell.evaluate((el) => el.scrollWidth <= el.clientWidth), `${width} px`).resolves.toBe(true);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.selectOption(tid('runs-kind-filter'), 'dry-run');
    await expect(page.locator(tid('runs-row')).count()).resolves.toBe(1);
    await shot('dry-run-03-runs-list');

    // Cloning keeps it a dry run.
    await page.goto(`${session.server.url.split('#')[0]}#/new?clone=${id}`);
    await page.locator(tid('new-run-dry-run-data')).waitFor();
    await expect(page.locator(tid('new-run-estimation-table')).isChecked()).resolves.toBe(true);
    await expect(page.locator(tid('new-run-samples')).inputValue()).resolves.toBe('100');
    await expect(page.locator(tid('new-run-clone-missing-dataset')).count()).resolves.toBe(0);
    expect(pageErrors).toEqual([]);
  });
  test('an MdeNAS search on NAS-Bench-201 shows its op probabilities per edge and the benchmark of the derived cell each epoch', { timeout: 300_000 }, async () => {
    const demo = (await session.server.call('datasets.list', {}))[0];
    const config = {
      dataset: String(demo.id),
      trainLimit: 300,
      batchSize: 32,
      seed: 1,
      space: { name: 'nb201', channels: 4, cells: 1 },
      strategy: { name: 'mdenas', epochs: 3, convergence: 'epochs' },
    };
    const { id } = await session.server.call('runs.create', { config });
    const { page, shot, pageErrors } = await openPage(session.browser);
    await page.setViewportSize({ width: 1280, height: 2000 });
    await page.goto(`${session.server.url.split('#')[0]}#/runs/${id}`);
    await waitStatus(page, 'completed', 240_000);

    const snaps = await session.server.call('runs.snapshots', { id, kind: 'probabilities' });
    expect(snaps.length).toBe(3);
    // One line per op over the epochs, for the chosen edge.
    const probs = page.locator(tid('run-probabilities'));
    await probs.locator(`${tid('run-chart-probabilities')} canvas`).waitFor();
    await expect(probs.locator(`${tid('run-prob-edge-select')} option`).count()).resolves.toBe(6);
    // The per-epoch table score of the derived cell: one point per epoch, as the metrics say.
    const metrics = await session.server.call('runs.metrics', { id });
    const curve = page.locator(tid('run-chart-benchmark'));
    await curve.locator('canvas').waitFor();
    // The last epoch's point may still be on its way as a live event when the status turns completed.
    await page.locator(`${tid('run-chart-benchmark')}[data-points="${metrics.bench_rank.length}"]`).waitFor({ timeout: 15_000 });
    expect(metrics.bench_rank.length).toBe(3);
    // A training run is no dry run: no trajectory panel unless it ranked candidates.
    await expect(page.locator(tid('run-chart-trajectory')).count()).resolves.toBe(0);
    await page.locator(tid('run-nb201')).waitFor();
    await page.waitForTimeout(400);
    await shot('dry-run-04-mdenas-search');
    await probs.locator(tid('run-prob-edges')).click();
    await probs.locator(`${tid('run-chart-probability-heat')} canvas`).first().waitFor();
    await page.waitForTimeout(300);
    await shot('dry-run-05-mdenas-probability-heat-map');
    expect(pageErrors).toEqual([]);
  });
});
