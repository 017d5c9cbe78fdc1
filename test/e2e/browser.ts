import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../support/nas-server';

// Debian's Chromium driven by playwright-core (TOOLCHAIN.md, "Testing without the Electron binary").

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test-artifacts', 'e2e');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

export interface WatchedPage {
  page: Page;
  /** Uncaught exceptions in the page, and console errors. */
  pageErrors: string[];
  consoleErrors: string[];
  shot(name: string): Promise<void>;
}

export async function openPage(browser: Browser): Promise<WatchedPage> {
  mkdirSync(SHOTS, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(20_000);
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  return {
    page,
    pageErrors,
    consoleErrors,
    shot: async (name) => {
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    },
  };
}

export const tid = (id: string) => `[data-testid="${id}"]`;

/** The progress bar's fraction (0..1) as the Run view shows it. */
export async function progressFraction(page: Page): Promise<number> {
  return Number(await page.locator(tid('run-progress')).getAttribute('data-fraction'));
}

export async function waitStatus(page: Page, status: string, timeout = 90_000): Promise<void> {
  await page.locator(`${tid('run-status')}[data-status="${status}"]`).waitFor({ timeout });
}

/** Waits until the Run view's progress bar shows more than `above` (0..1); returns the fraction. */
export async function waitProgressAbove(page: Page, above: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = await progressFraction(page).catch(() => NaN);
    if (f > above) return f;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for progress above ${above} (last ${f})`);
    await page.waitForTimeout(50);
  }
}
