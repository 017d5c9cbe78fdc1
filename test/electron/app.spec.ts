import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectronBinary } from '../../scripts/electron-binary.js';

// Electron-only behaviour: the window, the preload bridge, context isolation and IPC. Needs the Electron
// binary, which `npm install` downloads on a machine with internet; run with `npm run test:electron`.
// (CI here cannot download it: ELECTRON_SKIP_BINARY_DOWNLOAD=1, so these are kept out of `npm test`.)

const root = resolve(__dirname, '..', '..');
const electronBinary = findElectronBinary();
if (!electronBinary) {
  throw new Error('The Electron binary is not installed: run `npm install` on a machine with internet (without ELECTRON_SKIP_BINARY_DOWNLOAD), then `npm run test:electron`.');
}

describe('the desktop app', () => {
  let app: ElectronApplication;
  let page: Page;
  const dataDir = mkdtempSync(join(tmpdir(), 'nas-electron-'));

  beforeAll(async () => {
    app = await electron.launch({ executablePath: electronBinary!, args: [root, '--data-dir', dataDir], cwd: root });
    page = await app.firstWindow();
    await page.waitForSelector('text=NAS Studio');
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens one window titled NAS Studio on the Runs view', async () => {
    expect(await page.title()).toMatch(/NAS Studio/);
    expect(app.windows()).toHaveLength(1);
  });

  it('isolates the renderer: no Node, only the contract on window.nas', async () => {
    const probe = await page.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      nas: Object.keys((globalThis as { nas?: object }).nas ?? {}).sort(),
    }));
    expect(probe).toEqual({ require: 'undefined', process: 'undefined', nas: ['invoke', 'subscribe'] });
  });

  it('serves the contract over IPC, with validation', async () => {
    const info = await page.evaluate(() => (globalThis as unknown as { nas: { invoke(c: string, a: unknown): Promise<{ mode: string; dataDir: string }> } }).nas.invoke('app.info', {}));
    expect(info.mode).toBe('electron');
    expect(info.dataDir).toBe(dataDir);
    const error = await page.evaluate(() =>
      (globalThis as unknown as { nas: { invoke(c: string, a: unknown): Promise<unknown> } }).nas.invoke('runs.get', { id: -1 }).then(
        () => 'no error',
        (e: Error) => e.message,
      ),
    );
    expect(error).toMatch(/Invalid request runs\.get: id/);
  });

  it('imports the demo dataset through the UI', async () => {
    await page.click('text=Datasets');
    await page.click('text=Import Fashion-MNIST demo');
    await page.waitForSelector('text=3,000');
  });
});
