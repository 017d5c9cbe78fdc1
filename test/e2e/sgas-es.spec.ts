import { describe, expect, test } from 'vitest';
import { e2eSession, importDemo, openPage, tid, waitStatus } from './browser';

// SGAS-es from the New-run form, in Chromium against the real headless server, trainer and SQLite file:
// decisions and λ_max appear in the run view while it searches, and stay after a reload.
// Screenshots (1280 px wide): test-artifacts/e2e/sgas-es-*.png.

describe('e2e: SGAS-es from the New-run form', () => {
  const session = e2eSession('nas-e2e-sgas-es-', importDemo);

  test('launch it with its options, see decisions and eigenvalues arrive, find the run in the list', { timeout: 600_000 }, async () => {
    const { page, shot, tallShot, pageErrors } = await openPage(session.browser);
    await page.setViewportSize({ width: 1280, height: 900 });
    // The app scrolls inside its main area: a tall viewport puts the whole run view in one picture.
    await page.goto(`${session.server.url.split('#')[0]}#/new`);
    await page.locator(tid('new-run-form')).waitFor();
    // The form picks the dataset once the list has loaded (a busy machine may take a moment).
    await expect.poll(() => page.locator(tid('new-run-dataset')).inputValue(), { timeout: 15_000 }).not.toBe('');

    // Strategy first: its options replace DARTS's, with SGAS-es's defaults and help.
    await page.selectOption(tid('new-run-strategy'), 'sgas-es');
    await expect(page.locator(tid('new-run-strategy-summary')).textContent()).resolves.toMatch(/eigenvalue/i);
    await expect(page.locator(tid('new-run-decision-freq')).inputValue()).resolves.toBe('15');
    await expect(page.locator(tid('new-run-epochs')).count()).resolves.toBe(0);

    // A wrong value is named by its path and blocks the start.
    await page.fill(tid('new-run-decision-freq'), '0');
    await expect(page.locator(tid('new-run-decision-freq-error')).textContent()).resolves.toBe('Must be at least 1.');

    await page.fill(tid('new-run-name'), 'e2e sgas-es');
    const values: [string, string][] = [
      ['train-limit', '200'],
      ['channels', '4'],
      ['cells', '1'],
      ['batch-size', '16'],
      ['decision-freq', '2'],
      ['final-epochs', '1'],
      ['hessian-iters', '4'],
    ];
    for (const [field, value] of values) await page.fill(tid(`new-run-${field}`), value);
    // 6 NB201 edges, phases of at most 2 epochs, 1 final epoch.
    await expect(page.locator(tid('new-run-preflight-epochs')).textContent()).resolves.toMatch(/at most 13/);
    await shot('sgas-es-01-new-run');
    // The rest of SGAS-es's options, with their defaults, behind "Advanced".
    await page.click(tid('new-run-advanced'));
    await expect(page.locator(tid('new-run-es-start')).inputValue()).resolves.toBe('0');
    await expect(page.locator(tid('new-run-alpha-lr')).inputValue()).resolves.toBe('0.0003');
    await tallShot('sgas-es-01b-new-run-advanced', 2600);
    await page.click(tid('new-run-start'));
    await page.waitForURL(/#\/runs\/\d+$/);
    const id = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);

    const stored = await session.server.call('runs.get', { id });
    expect(stored.config.strategy).toMatchObject({ name: 'sgas-es', decisionFreq: 2, finalEpochs: 1, hessianIters: 4 });
    expect(stored.config.space).toMatchObject({ name: 'nb201', channels: 4, cells: 1 });

    // Live: λ_max points and the first decision arrive while it searches.
    await waitStatus(page, 'running', 60_000);
    await page.locator(`${tid('run-chart-lambda')} canvas`).waitFor({ timeout: 240_000 });
    await page.locator(tid('run-decision-row')).first().waitFor({ timeout: 300_000 });
    await page.locator(`${tid('run-growing-cell')} [data-testid="cell-graph"]`).waitFor();
    await tallShot('sgas-es-02-run-live', 2600);

    await waitStatus(page, 'completed', 540_000);
    const history = await session.server.call('runs.searchHistory', { id });
    expect(history.decisions).toHaveLength(6);
    expect(history.eigenvalues.length).toBeGreaterThanOrEqual(6);
    await expect(page.locator(tid('run-decision-row')).count()).resolves.toBe(6);
    await expect(page.locator(tid('run-chart-lambda')).getAttribute('data-points')).resolves.toBe(String(history.eigenvalues.length));
    const firstRow = (await page.locator(tid('run-decision-row')).first().textContent())!;
    const first = [...history.decisions].sort((a: { wallEpoch: number }, b: { wallEpoch: number }) => a.wallEpoch - b.wallEpoch)[0];
    expect(firstRow).toContain(first.edgeLabel);
    expect(firstRow).toContain(first.op);

    // The scores that chose an edge: one bar row per edge of the cell.
    await page.locator(tid('run-decision-row')).first().click();
    const candidates = page.locator(tid('run-decision-candidates'));
    await candidates.waitFor();
    await expect(candidates.textContent()).resolves.toContain('✓');
    await page.click(tid('run-lambda-logical'));
    await page.locator(tid('run-nb201')).waitFor();
    await tallShot('sgas-es-03-run-completed', 2600);

    // A collapse warning, where the search raised one, is a banner here and a badge in the list.
    const summary = (await session.server.call('runs.list', {})).find((r: { id: number }) => r.id === id);
    if (summary.collapseWarning) await expect(page.locator(tid('run-collapse-warning')).textContent()).resolves.toContain(summary.collapseWarning);
    else await expect(page.locator(tid('run-collapse-warning')).count()).resolves.toBe(0);

    // A reload shows the stored history.
    await page.reload();
    await page.locator(tid('run-decision-row')).nth(5).waitFor();
    await expect(page.locator(tid('run-chart-lambda')).getAttribute('data-points')).resolves.toBe(String(history.eigenvalues.length));

    await page.click(tid('nav-runs'));
    const listed = page.locator(`${tid('runs-row')}[data-run-id="${id}"]`);
    await listed.waitFor();
    await expect(listed.textContent()).resolves.toContain('SGAS-es');
    const badge = listed.locator(tid('runs-collapse-warning'));
    if (summary.collapseWarning) await expect(badge.getAttribute('title')).resolves.toContain(summary.collapseWarning);
    else await expect(badge.count()).resolves.toBe(0);
    await shot('sgas-es-04-runs-list');
    expect(pageErrors).toEqual([]);
  });
});
