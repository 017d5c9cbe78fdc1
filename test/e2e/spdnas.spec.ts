import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { npyFile, seeded, spdMatrix } from '../integration/datasets/spd-fixtures';
import { e2eSession, openPage, tid, waitStatus } from './browser';

// SPDNetNAS as a person meets it, in Chromium against the real headless server, trainer and SQLite file:
// a corrupt SPD folder is refused on the Datasets page naming the file and the problem; the built-in synthetic
// set shows its class counts and matrices with their spectra; an spdnas search started from the New-run form
// on a tiny budget shows the sparsemax(α) heat map, the SPD cell graph and the health signals while it runs.
// Screenshots (1280 px wide): test-artifacts/e2e/spdnas-*.png.

describe('e2e: SPDNetNAS', () => {
  const session = e2eSession('nas-e2e-spdnas-');

  test('refuse a corrupt folder, generate the synthetic set, search it, watch α, the cell and the spectrum', { timeout: 600_000 }, async () => {
    const { page, shot, tallShot, pageErrors } = await openPage(session.browser);
    await page.setViewportSize({ width: 1280, height: 900 });

    // A folder whose second class holds a matrix that is not symmetric.
    const folder = join(session.dataDir, 'radar-like');
    const rand = seeded(3);
    for (const c of ['a', 'b']) for (let k = 0; k < 3; k++) npyFile(join(folder, c, `m${k}.npy`), [4, 4], spdMatrix(4, rand));
    const bad = spdMatrix(4, rand);
    bad[1] += 1;
    const badFile = npyFile(join(folder, 'b', 'm9.npy'), [4, 4], bad);

    await page.goto(`${session.server.url.split('#')[0]}#/datasets`);
    await page.click(tid('datasets-import-spd-toggle'));
    await page.fill(tid('datasets-spd-name'), 'Radar-like');
    await page.fill(tid('datasets-spd-folder'), folder);
    await page.click(tid('datasets-spd-submit'));
    const refusal = page.locator(tid('datasets-spd-error'));
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toMatch(new RegExp(`${badFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*is not symmetric: entry \\(1, 2\\)`));
    await shot('spdnas-01-import-refused');
    expect(await session.server.call('datasets.list', {})).toEqual([]);

    // The built-in synthetic set: class counts, matrices as heat maps with their spectra, its credit.
    await page.click(tid('datasets-import-spd-synthetic'));
    await page.locator(tid('spd-samples')).waitFor({ timeout: 60_000 });
    await expect(page.locator(tid('spd-dataset-shape')).textContent()).resolves.toContain('20 × 20');
    await expect(page.locator(tid('dataset-class-label')).allTextContents()).resolves.toEqual(['0 · low-band', '1 · mid-band', '2 · high-band']);
    await expect(page.locator(tid('spd-matrix')).count()).resolves.toBe(6);
    await expect(page.locator(`${tid('spd-spectrum')} rect`).count()).resolves.toBe(6 * 20);
    await expect(page.locator(tid('spd-dataset-credit')).textContent()).resolves.toMatch(/synthetic/i);
    await tallShot('spdnas-02-synthetic-set');

    // New run: the SPD space offers SPD sets only, and SPDNetNAS.
    await page.goto(`${session.server.url.split('#')[0]}#/new`);
    await page.locator(tid('new-run-form')).waitFor();
    await page.selectOption(tid('new-run-space'), 'spd');
    await page.selectOption(tid('new-run-strategy'), 'spdnas');
    await expect.poll(() => page.locator(tid('new-run-dataset')).inputValue(), { timeout: 15_000 }).not.toBe('');
    await expect(page.locator(`${tid('new-run-dataset')} option:not([disabled])`).allTextContents()).resolves.toEqual([expect.stringMatching(/^Synthetic RADAR-like SPD set — 20×20, 3 classes/)]);
    await page.fill(tid('new-run-name'), 'e2e spdnas');
    for (const [field, value] of [['epochs', '2'], ['train-limit', '90'], ['batch-size', '15'], ['health-every', '1']] as const) await page.fill(tid(`new-run-${field}`), value);
    await shot('spdnas-03-new-run');
    await page.click(tid('new-run-start'));
    await page.waitForURL(/#\/runs\/\d+$/);
    const id = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    const stored = await session.server.call('runs.get', { id });
    expect(stored.config).toMatchObject({ space: { name: 'spd' }, strategy: { name: 'spdnas', epochs: 2 }, trainLimit: 90 });

    // Live: the health signals first (every step), then α and the SPD cell at the end of an epoch.
    await waitStatus(page, 'running', 60_000);
    await page.locator(tid('spd-health-verdict')).waitFor({ timeout: 240_000 });
    await page.locator(`${tid('run-chart-alpha')} canvas`).first().waitFor({ timeout: 300_000 });
    await page.locator(`${tid('run-cell')} [data-testid="cell-graph"]`).waitFor();
    await tallShot('spdnas-04-run-live');

    await waitStatus(page, 'completed', 540_000);
    const done = await session.server.call('runs.get', { id });
    const genotype = done.genotype as { normal: [string, number][]; reduce: [string, number][] };
    const ops = [...genotype.normal, ...genotype.reduce].map(([op]) => op);
    expect(ops.length).toBeGreaterThan(0);
    for (const op of ops) expect(op).toMatch(/_(normal|reduced)$/);
    expect(ops.some((op) => op.startsWith('none'))).toBe(false);
    // The cell graph names SPD ops; the health panel shows numbers for both ends of the spectrum.
    const edgeLabels = await page.locator(`${tid('run-cell')} .edge-label`).allTextContents();
    expect(edgeLabels.join(' ')).toMatch(/(BiMap|Skip|Pooling|WeightedPooling)_\d?_?(normal|reduced)|_(normal|reduced)/);
    const eigMin = Number(await page.locator(tid('spd-eig-min')).textContent());
    const eigMax = Number(await page.locator(tid('spd-eig-max')).textContent());
    expect(eigMin).toBeGreaterThan(0);
    expect(eigMax).toBeGreaterThanOrEqual(eigMin);
    await expect(page.locator(tid('spd-health-verdict')).textContent()).resolves.toMatch(/healthy|watch|spectrum collapsed/);
    await tallShot('spdnas-05-run-completed');
    expect(pageErrors).toEqual([]);
  });
});
