import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultNb201TablePath } from '../../src/main/nas/estimation/nb201-table';
import { makeTempDir, startServer, type ServerProcess } from '../support/nas-server';
import { launchBrowser, openPage, tid } from './browser';

// The NAS-Bench-201 table panel on the Datasets page, in Chromium against the real server: the built-in table
// is credited, a bad file is refused in place with its problem, a good export becomes active (validation
// columns shown), and Reset goes back. Screenshots: test-artifacts/e2e/benchmark-table-*.png.

describe('e2e: NAS-Bench-201 table panel', () => {
  const tmp = makeTempDir('nas-e2e-bench-');
  const files = join(tmp.dir, 'files');
  let s: ServerProcess;
  let browser: Browser;
  let good = '';
  let short = '';
  beforeAll(async () => {
    mkdirSync(files, { recursive: true });
    const [header, ...rows] = readFileSync(defaultNb201TablePath(), 'utf8').trimEnd().split('\n');
    good = join(files, 'nb201-with-valid.csv');
    writeFileSync(good, [`${header},cifar10_valid`, ...rows.map((r, i) => `${r},${(60 + (i % 3000) / 100).toFixed(2)}`)].join('\n') + '\n');
    short = join(files, 'nb201-short.csv');
    writeFileSync(short, [header, ...rows.slice(1)].join('\n') + '\n');
    [s, browser] = await Promise.all([startServer(join(tmp.dir, 'data')), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    tmp.dispose();
  });

  test('built-in → refused file → imported table → reset', async () => {
    const { page, shot, pageErrors } = await openPage(browser);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(s.url);
    await page.click(tid('nav-datasets'));
    const panel = page.locator(tid('benchmark-table-panel'));
    await expect.poll(() => panel.locator(tid('benchmark-table-source')).textContent()).toBe('built-in');
    const facts = panel.locator(tid('benchmark-table-facts'));
    expect(await facts.textContent()).toMatch(/NATS-Bench topology benchmark/);
    expect(await facts.textContent()).toMatch(/15,625/);
    expect(await panel.locator(tid('benchmark-table-validation')).textContent()).toMatch(/no \(test accuracies only\)/);
    expect(await panel.locator(tid('benchmark-table-reset')).count()).toBe(0);
    await shot('benchmark-table-built-in');

    // An empty path is answered in place, without a request.
    await panel.locator(tid('benchmark-table-import')).click();
    expect(await panel.locator(tid('benchmark-table-error')).textContent()).toMatch(/Give the full path of the CSV file/);

    // A table one row short: the server's refusal, naming the file and the problem, shows in the panel.
    await panel.locator(tid('benchmark-table-path')).fill(short);
    await panel.locator(tid('benchmark-table-import')).click();
    const error = panel.locator(tid('benchmark-table-error'));
    await expect.poll(() => error.textContent()).toMatch(/holds 15,624 rows/);
    expect(await error.textContent()).toContain('nb201-short.csv');
    expect(await panel.locator(tid('benchmark-table-source')).textContent()).toBe('built-in');
    await shot('benchmark-table-refused');

    await panel.locator(tid('benchmark-table-path')).fill(good);
    await panel.locator(tid('benchmark-table-import')).click();
    await expect.poll(() => panel.locator(tid('benchmark-table-source')).textContent()).toBe('imported');
    expect(await panel.locator(tid('benchmark-table-error')).count()).toBe(0);
    expect(await facts.textContent()).toContain('nb201-with-valid.csv');
    expect(await panel.locator(tid('benchmark-table-validation')).textContent()).toMatch(/yes: cifar10_valid/);
    expect(await panel.locator(tid('benchmark-table-path')).inputValue()).toBe('');
    await shot('benchmark-table-imported');
    expect((await s.call('benchmarks.info')).source).toBe('imported');

    await panel.locator(tid('benchmark-table-reset')).click();
    await expect.poll(() => panel.locator(tid('benchmark-table-source')).textContent()).toBe('built-in');
    expect(await panel.locator(tid('benchmark-table-done')).textContent()).toMatch(/Back to the built-in table/);
    expect((await s.call('benchmarks.info')).source).toBe('built-in');
    expect(pageErrors).toEqual([]);
  });
});
