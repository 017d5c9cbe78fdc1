import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { ROOT, makeTempDir, startServer, type ServerProcess } from '../support/nas-server';

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

/** A describe block's headless server (on a fresh data folder) and Chromium; valid once its beforeAll ran. */
export interface E2eSession {
  readonly server: ServerProcess;
  readonly browser: Browser;
  readonly dataDir: string;
}

/**
 * Starts a headless server on a fresh data folder and a Chromium before the describe block's tests (then runs
 * `prepare`, e.g. importDemo), and closes both and deletes the folder after them. Call it in the describe body.
 */
export function e2eSession(prefix: string, prepare?: (server: ServerProcess) => Promise<unknown>): E2eSession {
  const tmp = makeTempDir(prefix);
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(tmp.dir), launchBrowser()]);
    await prepare?.(server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    tmp.dispose();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('The e2e session is used before its beforeAll started the server and the browser.');
    return v;
  };
  return {
    get server() {
      return started(server);
    },
    get browser() {
      return started(browser);
    },
    dataDir: tmp.dir,
  };
}

/** Imports the built-in demo set (Fashion-MNIST demo) into the server's data folder. */
export function importDemo(server: ServerProcess): Promise<unknown> {
  return server.call('datasets.importBuiltin', { which: 'demo' });
}

export interface WatchedPage {
  page: Page;
  /** Uncaught exceptions in the page, and console errors. */
  pageErrors: string[];
  consoleErrors: string[];
  shot(name: string): Promise<void>;
  /**
   * A screenshot of a page taller than the window (charts size themselves to the viewport, so fullPage alone
   * would cut them): the viewport grows to `height` for the shot, then returns to 1280 × 900.
   */
  tallShot(name: string, height?: number): Promise<void>;
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
  const shot = async (name: string) => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  return {
    page,
    pageErrors,
    consoleErrors,
    shot,
    tallShot: async (name, height = 2400) => {
      await page.setViewportSize({ width: 1280, height });
      await page.waitForTimeout(500); // charts resize
      await shot(name);
      await page.setViewportSize({ width: 1280, height: 900 });
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
