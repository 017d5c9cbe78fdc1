import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, openPage } from '../../e2e/browser';
import { makeTempDir, startServer, type ServerProcess } from '../../support/nas-server';

// The browser flow a person uses, in Chromium: open the printed URL, land on the clean address with a
// session cookie no script can read, and use the app (requests and the live event stream) with it.

describe('headless server: browser session', () => {
  const tmp = makeTempDir('nas-it-session-');
  let s: ServerProcess;
  let browser: Browser;
  beforeAll(async () => {
    [s, browser] = await Promise.all([startServer(tmp.dir), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    tmp.dispose();
  });

  test('the printed URL leaves the address bar and history; the cookie is HttpOnly and SameSite=Strict; the app works', async () => {
    const { page, pageErrors } = await openPage(browser);
    const eventStreams: number[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/api/events') eventStreams.push(r.status());
    });
    await page.goto(`${s.url}#/datasets`);
    expect(page.url()).toBe(`${s.origin}/#/datasets`);
    // The redirect replaced the tokened address: going back through the tab's history reaches the blank tab
    // without passing an address with the token (the app's router may add an entry of its own first).
    const history = [page.url()];
    for (let i = 0; i < 4 && page.url() !== 'about:blank'; i++) {
      // Going back onto the tab's initial blank page swaps the renderer: on a busy machine Chromium can answer
      // that navigation with "not attached to an active page" while it does. The address is read after either way.
      await page.goBack().catch((e: Error) => {
        if (!/not attached|detached/i.test(e.message)) throw e;
      });
      history.push(page.url());
    }
    expect(history.at(-1)).toBe('about:blank');
    expect(history.filter((u) => u.includes('token'))).toEqual([]);
    await page.goto(`${s.origin}/#/datasets`);
    expect(page.url()).toBe(`${s.origin}/#/datasets`);

    const cookies = await page.context().cookies(s.origin);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ value: s.token, httpOnly: true, sameSite: 'Strict', path: '/', expires: -1 });
    // Page scripts run in the browser: given as source text, since this file is type-checked for Node.
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.evaluate('JSON.stringify({ ...sessionStorage, ...localStorage })')).not.toContain(s.token);

    // The app's own requests carry no token: the cookie is their only credential.
    const requestUrls: string[] = [];
    const requestHeaders: Record<string, string>[] = [];
    page.on('request', (r) => {
      requestUrls.push(r.url());
      requestHeaders.push(r.headers());
    });
    await page.reload();
    const info = await page.evaluate(async () => (await fetch('/api/app.info', { method: 'POST', body: '{}' })).json());
    expect(info).toMatchObject({ mode: 'headless' });
    await expect.poll(() => eventStreams.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(eventStreams.every((status) => status === 200)).toBe(true);
    expect(requestUrls.some((u) => u.includes(s.token))).toBe(false);
    expect(requestHeaders.some((h) => h['x-nas-token'])).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  test('without the cookie the app says how to get in', async () => {
    const { page } = await openPage(browser);
    await page.goto(`${s.origin}/`);
    await expect.poll(async () => (await page.textContent('body')) ?? '', { timeout: 15_000 }).toMatch(/Missing or wrong access token.*Open the URL printed by `npm run serve`/);
  });
});
