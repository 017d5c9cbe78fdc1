import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { makeTempDir, startServer, waitFor, type ServerProcess } from '../support/nas-server';
import { launchBrowser, openPage, tid } from './browser';
import type { Browser } from 'playwright-core';

// The runs list and the datasets table at 1024 and 1280 px, as a new user saw them: each header label sits
// over its own column, the strategy and space labels are whole ("SGAS-es · 1st order", "NAS-Bench-201"),
// every column is there (the runs list scrolls sideways when narrow; runs-history.spec.ts checks that). Runs: real runs refused by the trainer at once (train limit 5), so
// no training is needed to fill the list. Screenshots: test-artifacts/e2e/tables-*.png.

/** Left edges of the header cells and of the first row's visible cells, in page pixels (a page expression:
 * the node tsconfig has no DOM types). */
async function columnLefts(page: Page, header: string, row: string): Promise<{ head: number[]; cells: number[] }> {
  const lefts = (sel: string) =>
    `[...(document.querySelector(${JSON.stringify(sel)})?.children ?? [])].filter((e) => e.offsetParent !== null).map((e) => Math.round(e.getBoundingClientRect().left))`;
  return page.evaluate(`({ head: ${lefts(header)}, cells: ${lefts(row)} })`);
}

/** Cells whose text is cut (ellipsis or clipped): scrollWidth beyond clientWidth. */
async function cutCells(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent ?? ''));
}

describe('e2e: runs list and datasets table at laptop widths', () => {
  const tmp = makeTempDir('nas-e2e-tables-');
  let s: ServerProcess;
  let browser: Browser;
  beforeAll(async () => {
    [s, browser] = await Promise.all([startServer(join(tmp.dir, 'data')), launchBrowser()]);
    const demo = (await s.call<{ id: number }>('datasets.importBuiltin', { which: 'demo' })).id;
    const common = { dataset: String(demo), trainLimit: 40, batchSize: 16 };
    const configs = [
      { ...common, name: 'early stop', space: { name: 'nb201', channels: 4, cells: 1 }, strategy: { name: 'sgas-es' } },
      { ...common, name: 'second order', space: { name: 'darts', channels: 4, cells: 3 }, strategy: { name: 'darts', order: 2 } },
    ];
    // Real runs, cancelled at once: the first is stopped by its trainer, the second never leaves the queue.
    for (const config of configs) {
      const { id } = await s.call<{ id: number }>('runs.create', { config });
      await s.call('runs.cancel', { id });
    }
    await waitFor(async () => (await s.call<{ status: string }[]>('runs.list', {})).every((r) => r.status === 'cancelled') || null, 'both runs cancelled');
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    tmp.dispose();
  });

  for (const width of [1024, 1280]) {
    test(`${width} px: runs list columns line up, labels whole, every column present`, async () => {
      const { page, shot, pageErrors } = await openPage(browser);
      await page.setViewportSize({ width, height: 700 });
      await page.goto(s.url);
      await page.locator(tid('runs-row')).nth(1).waitFor();

      const { head, cells } = await columnLefts(page, '.runs-view .thead', `${tid('runs-row')}`);
      expect(head.length).toBe(cells.length);
      head.forEach((x, i) => expect(Math.abs(x - cells[i]), `column ${i + 1}`).toBeLessThanOrEqual(1));
      // Every column is there at any width (a narrow window scrolls the table sideways instead).
      expect(await page.locator('.runs-view .thead').innerText()).toMatch(/created/i);

      const rows = await page.locator(tid('runs-row')).allTextContents();
      expect(rows.join(' ')).toContain('SGAS-es · 1st order');
      expect(rows.join(' ')).toContain('DARTS · 2nd order');
      // Strategy and space (5th and 6th cells, after the selection box) are never cut; names may be, with a tooltip.
      expect(await cutCells(page, `${tid('runs-row')} > :nth-child(5), ${tid('runs-row')} > :nth-child(6), .runs-view .th`)).toEqual([]);
      await shot(`tables-runs-${width}`);
      expect(pageErrors).toEqual([]);
      await page.close();
    });

    test(`${width} px: datasets header labels sit over their columns`, async () => {
      const { page, shot, pageErrors } = await openPage(browser);
      await page.setViewportSize({ width, height: 700 });
      await page.goto(s.url);
      await page.click(tid('nav-datasets'));
      await page.locator(tid('dataset-row')).first().waitFor();
      const { head, cells } = await columnLefts(page, `${tid('dataset-list')} .thead`, tid('dataset-row'));
      expect(head.length).toBe(cells.length);
      head.forEach((x, i) => expect(Math.abs(x - cells[i]), `column ${i + 1}`).toBeLessThanOrEqual(1));
      expect(await cutCells(page, `${tid('dataset-list')} .thead > span, ${tid('dataset-row')} .name`)).toEqual([]);
      await shot(`tables-datasets-${width}`);
      expect(pageErrors).toEqual([]);
      await page.close();
    });
  }
});
