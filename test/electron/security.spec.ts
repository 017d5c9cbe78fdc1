import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectronBinary } from '../../scripts/electron-binary.js';

// Electron's security checklist, on the real app: links leave the app only as https and only after the user
// agrees; web permissions are denied by default; the IPC contract answers only the app's own window; the
// existing isolation and CSP stay. Needs the Electron binary (`npm run test:electron`).

const root = resolve(__dirname, '..', '..');
const electronBinary = findElectronBinary();
if (!electronBinary) {
  throw new Error('The Electron binary is not installed: run `npm install` on a machine with internet (without ELECTRON_SKIP_BINARY_DOWNLOAD), then `npm run test:electron`.');
}

type Recorded = { asked: string[]; opened: string[] };
/** The renderer's globals, typed loosely (this file compiles without the DOM library). */
type Browser = {
  open(url: string): unknown;
  Notification: { requestPermission(): Promise<string> };
  navigator: {
    mediaDevices: { getUserMedia(c: unknown): Promise<unknown> };
    geolocation: { getCurrentPosition(ok: () => void, err: (e: { code: number }) => void): void };
  };
  document: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
};

describe('desktop app hardening', () => {
  let app: ElectronApplication;
  let page: Page;
  const dataDir = mkdtempSync(join(tmpdir(), 'nas-electron-sec-'));

  beforeAll(async () => {
    app = await electron.launch({ executablePath: electronBinary!, args: [root, '--data-dir', dataDir], cwd: root });
    page = await app.firstWindow();
    await page.waitForSelector('text=NAS Studio');
    // Record instead of showing a dialog or starting a browser; the dialog answers "Open in browser".
    await app.evaluate(({ dialog, shell }) => {
      const g = globalThis as unknown as { recorded: Recorded };
      g.recorded = { asked: [], opened: [] };
      dialog.showMessageBox = (async (...a: unknown[]) => {
        const opts = a.find((x) => x && typeof x === 'object' && 'detail' in (x as object)) as { detail: string };
        g.recorded.asked.push(opts.detail);
        return { response: 0, checkboxChecked: false };
      }) as typeof dialog.showMessageBox;
      shell.openExternal = (async (url: string) => {
        g.recorded.opened.push(url);
      }) as typeof shell.openExternal;
    });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const recorded = () => app.evaluate(() => (globalThis as unknown as { recorded: Recorded }).recorded);

  it('opens an https link in the browser after asking, and nothing else', async () => {
    for (const url of ['file:///etc/passwd', 'smb://host/share', 'javascript:alert(1)', 'http://example.com/']) {
      await page.evaluate((u) => (globalThis as unknown as Browser).open(u), url);
    }
    await page.evaluate(() => (globalThis as unknown as Browser).open('https://example.com/docs'));
    await expect.poll(async () => (await recorded()).opened).toEqual(['https://example.com/docs']);
    expect((await recorded()).asked).toEqual(['https://example.com/docs']);
    expect(app.windows()).toHaveLength(1); // no window was opened for any of them
  });

  it('denies web permissions by default', async () => {
    const results = await page.evaluate(async () => {
      const b = globalThis as unknown as Browser;
      return {
        notifications: await b.Notification.requestPermission(),
        microphone: await b.navigator.mediaDevices.getUserMedia({ audio: true }).then(
          () => 'granted',
          (e: Error) => e.name,
        ),
        geolocation: await new Promise<string>((r) => b.navigator.geolocation.getCurrentPosition(() => r('granted'), (e) => r(`denied ${e.code}`))),
      };
    });
    expect(results.notifications).toBe('denied');
    expect(results.microphone).toMatch(/NotAllowedError|NotFoundError/);
    expect(results.geolocation).toMatch(/^denied/);
  });

  it('answers IPC only from the app’s own window, not from another page with the same preload', async () => {
    await app.evaluate(async ({ BrowserWindow }, preload) => {
      const w = new BrowserWindow({ show: false, webPreferences: { preload, contextIsolation: true, sandbox: true } });
      await w.loadURL('data:text/html,<title>stranger</title><p>not the app</p>');
    }, join(root, 'out', 'preload', 'index.cjs'));
    const stranger = app.windows().find((w) => w !== page)!;
    await stranger.waitForLoadState();
    const answer = await stranger.evaluate(() =>
      (globalThis as unknown as { nas: { invoke(c: string, a: unknown): Promise<unknown> } }).nas.invoke('app.info', {}).then(
        () => 'answered',
        (e: Error) => e.message,
      ),
    );
    expect(answer).toMatch(/^Refused: data:text\/html.* is not NAS Studio's window\.$/);
    // The app's own window still gets answers.
    const info = await page.evaluate(() => (globalThis as unknown as { nas: { invoke(c: string, a: unknown): Promise<{ mode: string }> } }).nas.invoke('app.info', {}));
    expect(info.mode).toBe('electron');
    await stranger.close();
  });

  it('keeps isolation and the CSP', async () => {
    const probe = await page.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      csp: (globalThis as unknown as Browser).document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? null,
    }));
    expect(probe.require).toBe('undefined');
    expect(probe.process).toBe('undefined');
    expect(probe.csp).toMatch(/default-src 'self'/);
    // A sandboxed renderer's preload has no Node either: the bridge exposes only the contract.
    expect(await page.evaluate(() => Object.keys((globalThis as { nas?: object }).nas ?? {}).sort())).toEqual(['invoke', 'subscribe']);
  });
});
