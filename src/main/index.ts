import { BrowserWindow, Menu, Notification, app, dialog, ipcMain, nativeTheme, session, shell } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError, createApp, type NasApp } from './app';
import { UtilityProcessBackend } from './runs/utility-process-backend';
import { createLabRoles } from './dispatch/lab-roles';
import { APP_VERSION } from './version';
import { isAllowedExternalUrl, isPermissionAllowed, isTrustedSender, type RendererOrigin } from './electron-security';

// Electron entry: one window, the IPC transport of the contract, menus and notifications. Everything else
// is in the composition root (app.ts), shared with the headless server.

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = process.env.NAS_STUDIO_DATA ?? argValue('--data-dir') ?? app.getPath('userData');

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

let nas: NasApp | null = null;
let window: BrowserWindow | null = null;
/** The only pages that may use the IPC contract and the few permissions the app needs. */
const renderer: RendererOrigin = { indexHtml: join(here, '..', 'renderer', 'index.html'), devServerUrl: process.env.ELECTRON_RENDERER_URL ?? null };

/** An https link opens in the system browser once the user agrees; any other URL is refused. */
async function openExternalAfterAsking(win: BrowserWindow, url: string): Promise<void> {
  if (!isAllowedExternalUrl(url)) return;
  const { response } = await dialog.showMessageBox(win, {
    type: 'question',
    buttons: ['Open in browser', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    message: 'Open this link in your web browser?',
    detail: url,
  });
  if (response === 0) await shell.openExternal(url);
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'NAS Studio',
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#1e1e1e' : '#ffffff',
    webPreferences: {
      preload: join(here, '..', 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  // No remote content: https links open in the system browser after asking, nothing else opens; navigation
  // away from the app is refused.
  win.webContents.setWindowOpenHandler(({ url }) => {
    void openExternalAfterAsking(win, url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  void win.loadFile(join(here, '..', 'renderer', 'index.html'));
  return win;
}

function buildMenu(): void {
  const send = (hash: string) => window?.webContents.executeJavaScript(`location.hash = ${JSON.stringify(hash)}`);
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
      { label: 'File', submenu: [{ label: 'New Run…', accelerator: 'CmdOrCtrl+N', click: () => send('#/new') }, { type: 'separator' }, { role: 'quit' }] },
      { role: 'editMenu' },
      { label: 'View', submenu: [{ label: 'Runs', click: () => send('#/runs') }, { label: 'Datasets', click: () => send('#/datasets') }, { type: 'separator' }, { role: 'reload' }, { role: 'toggleDevTools' }, { role: 'togglefullscreen' }] },
    ]),
  );
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  void app.whenReady().then(() => {
    const trainerScript = join(here, 'trainer.js');
    try {
      // Settings → Let other machines help / Join a lab: the same lab roles as `nas-studio serve`.
      const labRoles = createLabRoles({ dataDir, appVersion: APP_VERSION, trainerScript, log: (line) => console.warn(line) });
      nas = createApp({ dataDir, mode: 'electron', trainerScript, backend: new UtilityProcessBackend(trainerScript), labRoles });
    } catch (err) {
      // The data folder is in use by a server, damaged or read-only: the message names it and the way out.
      dialog.showErrorBox('NAS Studio cannot open its data folder', (err as Error).message);
      app.exit(1);
      return;
    }
    // Electron grants every web permission unless told otherwise: deny by default.
    session.defaultSession.setPermissionRequestHandler((_wc, permission, callback, details) =>
      callback(isPermissionAllowed(permission, details.requestingUrl, renderer)),
    );
    session.defaultSession.setPermissionCheckHandler((_wc, permission, requestingOrigin, details) =>
      isPermissionAllowed(permission, details.requestingUrl ?? requestingOrigin, renderer),
    );
    ipcMain.handle('nas:invoke', async (e, channel: string, args: unknown) => {
      // Only the app's own renderer may call the contract (not an iframe or a page navigated elsewhere).
      if (!isTrustedSender(e.senderFrame?.url, renderer)) {
        return { ok: false, error: `Refused: ${e.senderFrame?.url || 'an unknown frame'} is not NAS Studio's window.` };
      }
      try {
        return { ok: true, value: await nas!.invoke(channel, args) };
      } catch (err) {
        const e = err as Error & { hint?: string };
        return { ok: false, error: e.message, hint: e instanceof UserError ? e.hint : undefined };
      }
    });
    nas.onPush((event) => {
      window?.webContents.send('nas:push', event);
      if (event.type === 'run.updated' && ['completed', 'failed'].includes(event.run.status) && Notification.isSupported()) {
        new Notification({ title: `Run ${event.run.status}`, body: `${event.run.name}${event.run.error ? `: ${event.run.error}` : ''}` }).show();
      }
      if (event.type === 'run.event' && event.event.type === 'progress') {
        const p = event.event;
        window?.setProgressBar((p.epoch + p.step / p.stepsPerEpoch) / p.epochs);
      }
    });
    buildMenu();
    window = createWindow();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (e) => {
    if (!nas) return;
    e.preventDefault();
    const closing = nas;
    nas = null;
    void closing.close().finally(() => app.quit());
  });
}
