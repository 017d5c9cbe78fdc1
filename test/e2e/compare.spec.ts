import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoConfig, makeTempDir, startServer, waitFor, type ServerProcess } from '../support/nas-server';
import { NB201_EDGES, parseNb201Arch } from '../../src/shared/spaces/nb201';
import { launchBrowser, openPage, tid } from './browser';

// The Compare view in Chromium on a history of REAL runs made through the headless server: three MdeNAS dry
// runs on the NAS-Bench-201 table (arch, table scores, probability snapshots) and one tiny DARTS search on
// the demo set. The merged graph marks exactly the edge positions whose ops differ in the database, "hide
// identical" leaves only differing rows, and the CSV's rows are the stored values. Screenshots:
// test-artifacts/e2e/compare-*.png.

describe('e2e: compare runs', () => {
  const tmp = makeTempDir('nas-e2e-compare-');
  let s: ServerProcess;
  let browser: Browser;
  const ids: number[] = [];
  beforeAll(async () => {
    [s, browser] = await Promise.all([startServer(tmp.dir), launchBrowser()]);
    const dataset = await s.call('datasets.importBuiltin', { which: 'demo' });
    for (const seed of [1, 2, 3]) {
      const cfg = { name: `mdenas seed ${seed}`, estimation: 'nb201-table', seed, space: { name: 'nb201' }, strategy: { name: 'mdenas', epochs: 40, convergence: 'epochs' } };
      ids.push((await s.call('runs.create', { config: cfg })).id);
    }
    ids.push((await s.call('runs.create', { config: { ...demoConfig(dataset.id, { epochs: 1 }), name: 'tiny darts' } })).id);
    await waitFor(async () => {
      const runs = await Promise.all(ids.map((id) => s.call('runs.get', { id })));
      const bad = runs.find((r) => r.status === 'failed' || r.status === 'cancelled');
      if (bad) throw new Error(`run ${bad.id} ${bad.status}: ${bad.error}`);
      return runs.every((r) => r.status === 'completed');
    }, 'the seeded runs to complete', { timeoutMs: 240_000, intervalMs: 500 });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    tmp.dispose();
  });

  test('merged graph highlights exactly the differing edges; hide identical; CSV matches the database', { timeout: 180_000 }, async () => {
    const details = await Promise.all(ids.map((id) => s.call('runs.get', { id })));
    // Runs A and B: the first two dry runs whose archs differ (seeded MdeNAS runs find different cells).
    const dry = details.slice(0, 3);
    let [A, B] = [dry[0], dry[1]];
    for (const b of dry.slice(1)) if (b.arch !== dry[0].arch) B = b;
    const opsA = parseNb201Arch(A.arch);
    const opsB = parseNb201Arch(B.arch);
    const key = (e: number) => `n${NB201_EDGES[e][0]}>n${NB201_EDGES[e][1]}`;
    // 'none' is no edge: a position differs when the ops differ (one of them may be none).
    const expected = NB201_EDGES.map((_, e) => e).filter((e) => opsA[e] !== opsB[e]).map(key).sort();

    const { page, shot, pageErrors } = await openPage(browser);
    const order = [A.id, B.id, ...dry.filter((d) => d !== A && d !== B).map((d) => d.id), details[3].id];
    // As a user does: tick the runs in the runs list, press Compare, make A the baseline.
    await page.goto(`${s.url.split('#')[0]}#/runs`);
    for (const id of order) await page.click(tid(`runs-select-${id}`));
    await page.click(tid('runs-compare'));
    await page.locator(tid('compare-ready')).waitFor();
    const shown = (await page.locator(tid('compare-ready')).getAttribute('data-ids'))!.split(',').map(Number);
    expect([...shown].sort((x, y) => x - y)).toEqual([...order].sort((x, y) => x - y));
    await page.selectOption(tid('compare-baseline'), String(A.id));
    await page.selectOption(tid('compare-other'), String(B.id));

    const merged = page.locator(tid('compare-merged-cell'));
    await merged.waitFor();
    const edges = await merged.locator(tid('compare-merged-edge')).evaluateAll((els) => els.map((el) => ({ key: el.getAttribute('data-edge')!, diff: el.getAttribute('data-diff')! })));
    const differing = edges.filter((e) => ['op-differs', 'only-a', 'only-b'].includes(e.diff)).map((e) => e.key).sort();
    expect(differing).toEqual(expected);
    for (const e of edges.filter((x) => x.diff === 'op-differs')) {
      const i = NB201_EDGES.findIndex((_, k) => key(k) === e.key);
      expect(opsA[i] !== 'none' && opsB[i] !== 'none').toBe(true);
    }
    // Equivalence badge as the canonical forms say.
    const sameCanon = A.nb201?.canonical && A.nb201.canonical === B.nb201?.canonical;
    await page.locator(tid(sameCanon ? 'compare-same-architecture' : 'compare-different-architecture')).first().waitFor();
    await expect(page.locator(tid('compare-edit-distance')).first().getAttribute('data-distance')).resolves.toBe(String(opsA.filter((op, i) => op !== opsB[i]).length));
    // The node inspector names each run's op into node 3.
    await merged.locator(tid('compare-merged-node')).last().click();
    await page.locator(tid('compare-node-inspector')).waitFor();
    await shot('compare-01-merged-graph');

    // Spotlight B fades A-only edges.
    await page.click(tid('compare-spotlight-b'));
    await shot('compare-02-spotlight-b');
    await page.click(tid('compare-spotlight-all'));

    // Hide identical: only differing rows remain, and the seed row is among them.
    const allRows = await page.locator(tid('compare-row')).count();
    await page.check(tid('compare-hide-identical'));
    const shownKeys = await page.locator(tid('compare-row')).evaluateAll((els) => els.map((el) => el.getAttribute('data-key')));
    expect(shownKeys.length).toBeLessThan(allRows);
    expect(shownKeys).toContain('config.seed');
    expect(shownKeys).not.toContain('config.space.name');
    await page.click(tid('compare-next-diff'));
    await page.locator(`${tid('compare-row')}.current`).waitFor();
    await page.uncheck(tid('compare-hide-identical'));

    // CSV export: each row's values are the stored ones.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(tid('compare-export-csv'))]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n').map((l) => l.split(','));
    const byId = new Map(details.map((d) => [d.id, d]));
    expect(csv[0][0]).toBe('field');
    expect(csv[0].slice(1).map((h) => Number(/^#(\d+)/.exec(h)![1]))).toEqual(order);
    const row = (k: string) => csv.find((r) => r[0] === k)!.slice(1);
    const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));
    expect(row('config.seed')).toEqual(order.map((id) => str(byId.get(id)!.config.seed)));
    // Each accuracy sits in the row of what it measures (a dry run's table score, a search's supernet accuracy).
    for (const id of order) {
      const d = byId.get(id)! as unknown as { accuracy: number | null; accuracyMeasure: string };
      expect(row(`accuracy.${d.accuracyMeasure}`)[order.indexOf(id)]).toBe(str(d.accuracy));
    }
    expect(row('status')).toEqual(order.map((id) => byId.get(id)!.status));
    expect(row('nb201.rank')).toEqual(order.map((id) => str(byId.get(id)!.nb201?.rank)));
    expect(row('config.strategy.name')).toEqual(order.map((id) => byId.get(id)!.config.strategy.name));

    // The one-click report: a JSON of what was compared (the same differing edges) and an SVG of the cells.
    const reports = new Map<string, string>();
    const collect = (d: import('playwright-core').Download) => d.path().then((p) => reports.set(d.suggestedFilename(), readFileSync(p!, 'utf8')));
    const pending: Promise<unknown>[] = [];
    page.on('download', (d) => pending.push(collect(d)));
    await page.click(tid('compare-report'));
    await expect.poll(() => reports.size + pending.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await Promise.all(pending);
    const stem = `comparison-${order.join('-')}`;
    const json = JSON.parse(reports.get(`${stem}.json`)!);
    expect(json.baseline).toBe(A.id);
    expect(json.runs.map((r: { id: number }) => r.id)).toEqual(order);
    const reported = json.cells[0].edges.filter((e: { diff: string }) => ['op-differs', 'only-a', 'only-b'].includes(e.diff)).map((e: { from: string; to: string }) => `${e.from}>${e.to}`).sort();
    expect(reported).toEqual(expected);
    const svg = reports.get(`${stem}.svg`)!;
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('cell — A');
    expect(svg).toContain('config.seed:');

    // Heat maps of the probabilities, side by side with their difference; the agreement panel.
    await page.locator(tid('compare-heat-diff')).waitFor();
    await page.locator(tid('compare-settled')).waitFor();
    await page.locator(tid('compare-agreement')).waitFor();
    // Chart choice remembered: pick another metric, reload, still chosen.
    const metrics = await page.locator(`${tid('compare-metric')} option`).evaluateAll((els) => els.map((e) => e.getAttribute('value') ?? ''));
    const pick = metrics[metrics.length - 1];
    await page.selectOption(tid('compare-metric'), pick);
    await page.reload();
    await page.locator(tid('compare-ready')).waitFor();
    await expect(page.locator(tid('compare-metric')).inputValue()).resolves.toBe(pick);

    await page.setViewportSize({ width: 1400, height: 3200 });
    await page.waitForTimeout(500);
    await shot('compare-03-full');
    expect(pageErrors).toEqual([]);
  });

  test('fewer than two runs or an unknown run say what to do', { timeout: 60_000 }, async () => {
    const { page } = await openPage(browser);
    await page.goto(`${s.url.split('#')[0]}#/compare?ids=${ids[0]}`);
    await expect(page.locator(tid('compare-problem')).textContent()).resolves.toMatch(/at least two runs/);
    await page.goto(`${s.url.split('#')[0]}#/compare?ids=${ids[0]},99999`);
    await expect(page.locator(tid('compare-error')).textContent()).resolves.toMatch(/There is no run 99999/);
  });
});
