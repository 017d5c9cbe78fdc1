import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Store } from '../../src/main/store/store';
import { parseSearchConfig } from '../../src/shared/config';
import { makeTempDir, startServer, waitFor, type ServerProcess } from '../support/nas-server';
import { CHROMIUM, openPage, tid } from './browser';

// The runs list on a history of real runs (dry runs on the NAS-Bench-201 table: real searches that finish in
// seconds; one seed group of 3), in Chromium: selection for Compare survives navigation, filters by strategy,
// space, dataset and tag, the CSV export's rows match the database, the list at 1024 px scrolls sideways
// instead of cutting columns, and a retrain links to its parent and back. Screenshots:
// test-artifacts/e2e/runs-history-*.png.

/** As browser.ts launches it, but with scrollbars drawn as a user sees them (headless hides them by default). */
const launchBrowser = () =>
  chromium.launch({ executablePath: CHROMIUM, headless: true, ignoreDefaultArgs: ['--hide-scrollbars'], args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'] });

const dryRun = (strategy: Record<string, unknown>, seed = 0) => ({ estimation: 'nb201-table', seed, space: { name: 'nb201' }, strategy });

describe('e2e: runs list, history features', () => {
  const tmp = makeTempDir('nas-e2e-history-');
  const dataDir = join(tmp.dir, 'data');
  let s: ServerProcess;
  let browser: Browser;
  let group: { groupId: number; ids: number[] };
  let evolution: number;
  let retrain: number;
  beforeAll(async () => {
    [s, browser] = await Promise.all([startServer(dataDir), launchBrowser()]);
    group = await s.call('runs.createGroup', { config: { ...dryRun({ name: 'random', samples: 30 }), name: 'random seeds' }, seeds: [0, 1, 2] });
    evolution = (await s.call<{ id: number }>('runs.create', { config: { ...dryRun({ name: 'evolution', samples: 40, population: 10, sampleSize: 3 }, 5), name: 'evolution 40' } })).id;
    await waitFor(async () => (await s.call<{ status: string }[]>('runs.list', {})).every((r) => r.status === 'completed') || null, 'dry runs completed');
    await s.call('runs.setTags', { id: evolution, tags: ['winner'] });
    // A retrain of the evolution run, written straight into the store (the retrain strategy is another task's).
    const store = Store.open(join(dataDir, 'nas-studio.db'));
    try {
      const config = parseSearchConfig({ dataset: 'demo', space: { name: 'nb201', channels: 4, cells: 1 }, strategy: { name: 'darts', epochs: 2 } });
      retrain = store.runs.create(config, { id: null, name: 'demo' }, { kind: 'retrain', parentId: evolution, name: 'retrain of the winner', status: 'completed' });
      store.ingest(retrain, [{ type: 'result', arch: null, genotype: null, nb201: null, trainAccuracy: 0.9, valAccuracy: 0.8, seconds: 1, evaluation: { testAccuracy: 0.87, params: 1000, flops: 20000, latencyMs: 0.4, latencyBackend: 'cpu', exportDir: null } }]);
    } finally {
      store.close();
    }
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    tmp.dispose();
  });

  const home = () => s.url.split('#')[0]!;

  test('select runs, keep the selection across navigation, open Compare', async () => {
    const { page, shot, pageErrors } = await openPage(browser);
    await page.goto(`${home()}#/runs`);
    await page.locator(tid('runs-row')).nth(4).waitFor();
    expect(await page.locator(tid('runs-compare')).isDisabled()).toBe(true);
    await page.click(tid(`runs-select-${group.ids[0]}`));
    await page.click(tid(`runs-select-${evolution}`));
    expect(await page.locator(tid('runs-compare')).innerText()).toContain('Compare (2)');
    // Open a run and come back: still ticked.
    await page.click(`[data-run-id="${retrain}"] .td.name`);
    await page.waitForURL(new RegExp(`#/runs/${retrain}$`));
    await page.goBack();
    await page.locator(tid(`runs-select-${evolution}`)).waitFor();
    expect(await page.isChecked(tid(`runs-select-${group.ids[0]}`))).toBe(true);
    expect(await page.isChecked(tid(`runs-select-${evolution}`))).toBe(true);
    expect(await page.isChecked(tid(`runs-select-${retrain}`))).toBe(false);
    await shot('runs-history-selected');
    await page.click(tid('runs-compare'));
    await page.waitForURL(new RegExp(`#/compare\\?ids=${group.ids[0]},${evolution}`));
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  test('filters by strategy, space, dataset, tag and seed group', async () => {
    const { page, pageErrors } = await openPage(browser);
    await page.goto(`${home()}#/runs`);
    await page.locator(tid('runs-row')).nth(4).waitFor();
    const shown = async () => (await page.locator(tid('runs-row')).evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-run-id'))))).sort((a, b) => a - b);
    const expectRows = (ids: number[]) => waitFor(async () => JSON.stringify(await shown()) === JSON.stringify([...ids].sort((a, b) => a - b)) || null, `rows ${ids}`, { timeoutMs: 10_000 });

    await page.selectOption(tid('runs-strategy-filter'), 'random');
    await expectRows(group.ids);
    expect(page.url()).toContain('strategy=random');
    await page.selectOption(tid('runs-strategy-filter'), '');
    await page.selectOption(tid('runs-dataset-filter'), 'demo');
    await expectRows([retrain]);
    await page.selectOption(tid('runs-dataset-filter'), '');
    await page.selectOption(tid('runs-space-filter'), 'nb201');
    await expectRows([...group.ids, evolution, retrain]);
    await page.selectOption(tid('runs-tag-filter'), 'winner');
    await expectRows([evolution]);
    await page.selectOption(tid('runs-tag-filter'), '');
    await page.click(`[data-run-id="${group.ids[1]}"] ${tid(`runs-group-${group.groupId}`)}`);
    await expectRows(group.ids);
    expect(await page.locator(tid('runs-count')).innerText()).toBe('3 of 5 runs');
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  test('exports the list as CSV whose rows match the database', async () => {
    const { page, pageErrors } = await openPage(browser);
    await page.goto(`${home()}#/runs`);
    await page.locator(tid('runs-row')).nth(4).waitFor();
    await page.click(tid('runs-sort-nb201Rank'));
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(tid('runs-export-csv'))]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split(/\r\n/);
    const header = csv[0]!.split(',');
    const rows = csv.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
    const db = new Database(join(dataDir, 'nas-studio.db'), { readonly: true });
    try {
      const stored = db.prepare('SELECT id, seed, strategy, space, dataset_name, nb201_rank, nb201_cifar10, test_accuracy FROM runs ORDER BY nb201_rank ASC NULLS LAST, id ASC').all() as Record<string, unknown>[];
      expect(rows.map((r) => Number(r.id))).toEqual(stored.map((r) => r.id));
      for (const [i, r] of stored.entries()) {
        expect(rows[i]).toMatchObject({ seed: String(r.seed), strategy: r.strategy, space: r.space, dataset: r.dataset_name, nb201_rank: r.nb201_rank === null ? '' : String(r.nb201_rank), nb201_cifar10_percent: r.nb201_cifar10 === null ? '' : String(r.nb201_cifar10), test_accuracy: r.test_accuracy === null ? '' : String(r.test_accuracy) });
      }
      expect(rows.find((r) => Number(r.id) === retrain)).toMatchObject({ accuracy: '0.87', accuracy_measure: 'test', parent_id: String(evolution) });
      expect(rows.find((r) => Number(r.id) === evolution)).toMatchObject({ accuracy_measure: 'table', tags: 'winner' });
    } finally {
      db.close();
    }
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  test('1024 px: every column whole, the table scrolls sideways with a visible scrollbar', async () => {
    const { page, shot, pageErrors } = await openPage(browser);
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(`${home()}#/runs`);
    await page.locator(tid('runs-row')).nth(4).waitFor();
    const table = page.locator(tid('runs-scroller'));
    // A page expression: the node tsconfig has no DOM types.
    const { scroll, client, bar } = (await page.evaluate(`(() => {
      const t = document.querySelector('[data-testid="runs-scroller"]');
      const css = getComputedStyle(t);
      const bar = t.offsetHeight - t.clientHeight - parseFloat(css.borderTopWidth) - parseFloat(css.borderBottomWidth);
      return { scroll: t.scrollWidth, client: t.clientWidth, bar };
    })()`)) as { scroll: number; client: number; bar: number };
    expect(scroll).toBeGreaterThan(client);
    expect(bar, 'a horizontal scrollbar takes room at the bottom').toBeGreaterThanOrEqual(10);
    // Every filter reads whole (no select cut to 'All statu').
    const cutFilters = await page.$$eval('.toolbar select', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.getAttribute('aria-label')));
    expect(cutFilters).toEqual([]);
    const cut = await page.$$eval('.runs-view .th, [data-testid="runs-row"] .td:not(.name)', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
    expect(cut).toEqual([]);
    const text = await page.locator(tid('runs-row')).allInnerTexts();
    expect(text.join(' ')).toContain('Random search');
    expect(text.join(' ')).toMatch(/87\.00%\s*test/);
    await shot('runs-history-1024');
    await table.evaluate((t) => t.scrollTo({ left: t.scrollWidth }));
    await shot('runs-history-1024-scrolled');
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  test('a retrain links to its parent, and the parent back to it; tags and notes edit in place', async () => {
    const { page, shot, pageErrors } = await openPage(browser);
    await page.goto(`${home()}#/runs/${retrain}`);
    await page.click(tid('run-parent-link'));
    await page.waitForURL(new RegExp(`#/runs/${evolution}$`));
    await page.locator(tid(`run-child-link-${retrain}`)).waitFor();
    await page.fill(tid('run-tag-input'), 'seed-study');
    await page.press(tid('run-tag-input'), 'Enter');
    await page.click(tid('run-note-edit'));
    await page.fill(tid('run-note-input'), 'best cell so far');
    await page.click(tid('run-note-save'));
    await page.locator(tid('run-note')).waitFor();
    await waitFor(async () => {
      const r = (await s.call<{ id: number; tags: string[]; note: string }[]>('runs.list', { tag: 'seed-study' }))[0];
      return r?.id === evolution && r.note === 'best cell so far' && r.tags.join() === 'seed-study,winner' ? r : null;
    }, 'tags and note saved');
    await shot('runs-history-lineage');
    await page.click(tid(`run-child-link-${retrain}`));
    await page.waitForURL(new RegExp(`#/runs/${retrain}$`));
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
