import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoConfig, makeTempDir, startServer, waitFor, type ServerProcess } from '../support/nas-server';
import { launchBrowser, openPage, tid } from './browser';

// Exports in Chromium against the real headless server, on a real tiny search: a chart's and the cell graph's
// Export menus download a real PNG and a real SVG (checked by their bytes), the run header's metrics CSV holds
// the API's rows, its run bundle lands in the data folder, and "Import run…" on the runs page adds the bundle's
// run (a bad path is refused in place). Screenshots: test-artifacts/e2e/exports-*.png.

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function download(page: Page, menu: string, item: string, dir: string): Promise<{ name: string; bytes: Buffer }> {
  await page.locator(`${tid(menu)} > summary`).click();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(tid(`${menu}-${item}`)).click()]);
  const file = join(dir, dl.suggestedFilename());
  await dl.saveAs(file);
  return { name: dl.suggestedFilename(), bytes: readFileSync(file) };
}

function expectSvg(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  expect(text.trimStart()).toMatch(/^(<\?xml[^>]*>\s*)?<svg[\s>]/);
  expect(text.trimEnd().endsWith('</svg>')).toBe(true);
  expect(text).toContain('xmlns="http://www.w3.org/2000/svg"');
  return text;
}

/** PNG width and height from the IHDR chunk. */
const pngSize = (b: Buffer) => ({ width: b.readUInt32BE(16), height: b.readUInt32BE(20) });

describe('e2e: exports and run bundles', () => {
  const tmp = makeTempDir('nas-e2e-exports-');
  const dataDir = join(tmp.dir, 'data');
  let s: ServerProcess;
  let browser: Browser;
  let runId: number;
  beforeAll(async () => {
    [s, browser] = await Promise.all([startServer(dataDir), launchBrowser()]);
    const ds = await s.call('datasets.importBuiltin', { which: 'demo' });
    runId = (await s.call('runs.create', { config: demoConfig(ds.id, { name: 'export me' }) })).id;
    await waitFor(async () => (await s.call('runs.get', { id: runId })).status === 'completed' || null, 'the run to complete', { timeoutMs: 120_000 });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    tmp.dispose();
  });

  test('chart and cell graph export PNG and SVG; metrics CSV matches the API; bundle export and import round trip', { timeout: 120_000 }, async () => {
    const { page, shot, pageErrors } = await openPage(browser);
    await page.goto(`${s.url.split('#')[0]}#/runs/${runId}`);
    await page.locator(`${tid('run-chart-loss')} canvas`).first().waitFor();

    // A chart: PNG from the canvas, SVG from ECharts' SVG renderer.
    await page.locator(`${tid('run-chart-loss-export')} > summary`).click();
    await shot('exports-chart-menu');
    await page.locator(`${tid('run-chart-loss-export')} > summary`).click();
    const png = await download(page, 'run-chart-loss-export', 'png', tmp.dir);
    expect(png.name).toBe(`run-${runId}-loss.png`); // named after the run: exports of two runs never collide
    expect(png.bytes.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    expect(pngSize(png.bytes).width).toBeGreaterThan(200);
    const svg = expectSvg((await download(page, 'run-chart-loss-export', 'svg', tmp.dir)).bytes);
    expect(svg).toContain('train loss (step)'); // the legend, as text
    expect(svg).toMatch(/<path [^>]*d="M/); // the curves, as vectors

    // The chart's data as CSV: every stored train_loss and val_loss point, not the downsampled drawing.
    const series = await s.call('runs.metrics', { id: runId, maxPoints: 100_000 });
    const csv = (await download(page, 'run-chart-loss-export', 'csv', tmp.dir)).bytes.toString('utf8').trim().split(/\r\n/);
    expect(csv[0]).toMatch(/^series,(step|epoch),value$/);
    expect(csv.filter((l) => l.startsWith('train loss (step),')).map((l) => Number(l.split(',')[2]))).toEqual(series.train_loss.map((p: number[]) => p[2]));
    expect(csv.filter((l) => l.startsWith('val loss,')).map((l) => Number(l.split(',')[2]))).toEqual(series.val_loss.map((p: number[]) => p[2]));

    // The cell graph: SVG serialised with its styles, PNG rasterised from it.
    await page.locator(tid('cell-graph')).first().waitFor();
    const cellSvg = expectSvg((await download(page, 'cell-graph-export', 'svg', tmp.dir)).bytes);
    const edges = await page.locator(`${tid('cell-graph')} ${tid('cell-graph-edge')}`).count();
    expect(cellSvg.match(/data-testid="cell-graph-edge"/g)?.length).toBe(edges);
    expect(cellSvg).not.toContain('var(--'); // styles resolved, not page variables
    const cellPng = await download(page, 'cell-graph-export', 'png', tmp.dir);
    expect(cellPng.bytes.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    expect(pngSize(cellPng.bytes).width).toBeGreaterThan(100);

    // The run header: metrics CSV with the API's rows, genotype JSON, and the bundle into the data folder.
    const metricsCsv = (await download(page, 'run-export', 'metrics-csv', tmp.dir)).bytes.toString('utf8').trim().split(/\r\n/);
    expect(metricsCsv[0]).toBe('name,step,epoch,value');
    const apiRows = Object.entries(series).flatMap(([name, pts]) => (pts as number[][]).map(([step, epoch, value]) => `${name},${step},${epoch},${value}`));
    expect(metricsCsv.slice(1).sort()).toEqual(apiRows.sort());
    const genotype = JSON.parse((await download(page, 'run-export', 'genotype', tmp.dir)).bytes.toString('utf8'));
    const detail = await s.call('runs.get', { id: runId });
    expect(genotype.arch).toBe(detail.arch);
    await page.locator(`${tid('run-export')} > summary`).click();
    await page.locator(tid('run-export-bundle')).click();
    const bundle = join(dataDir, 'exports', `nas-studio-run-${runId}.nasrun`);
    await page.getByText(`Run bundle written to ${bundle}`).waitFor();
    expect(existsSync(bundle)).toBe(true);
    await shot('exports-bundle-written');

    // Import run…: a wrong path is refused in place; the bundle opens as a new run with the same cell.
    await page.goto(`${s.url.split('#')[0]}#/runs`);
    await page.locator(tid('runs-import')).click();
    await page.locator(tid('runs-import-path')).fill(join(tmp.dir, 'missing.nasrun'));
    await page.locator(tid('runs-import-submit')).click();
    await expect(page.locator(tid('runs-import-error')).innerText()).resolves.toMatch(/file not found/);
    await shot('exports-import-refused');
    await page.locator(tid('runs-import-path')).fill(bundle);
    await page.locator(tid('runs-import-submit')).click();
    await page.waitForURL(/#\/runs\/\d+$/);
    const newId = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    expect(newId).not.toBe(runId);
    await expect(page.locator(tid('run-name')).innerText()).resolves.toBe('export me');
    const imported = await s.call('runs.get', { id: newId });
    expect(imported.arch).toBe(detail.arch);
    await page.locator(`${tid('run-chart-loss')} canvas`).first().waitFor();
    await shot('exports-imported-run');
    expect(pageErrors).toEqual([]);
  });
});
