import { pathToFileURL } from 'node:url';

// The decisions behind the desktop window's hardening (Electron's security checklist), kept free of Electron
// so they are unit-tested: which links may leave the app, which frames may call the IPC contract, and which
// web permissions a page gets. index.ts applies them.

/** Where the app's own renderer is loaded from: the built index.html, or the dev server in development. */
export interface RendererOrigin {
  /** Absolute path of out/renderer/index.html. */
  indexHtml: string;
  /** electron-vite's dev server URL (ELECTRON_RENDERER_URL) when running `npm run dev`. */
  devServerUrl?: string | null;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * A link the user may open in the system browser (after confirming): https only, with a host and no
 * user:password part. file:, custom schemes (which launch other programs), http and javascript: are refused.
 */
export function isAllowedExternalUrl(url: string): boolean {
  const u = parse(url);
  return !!u && u.protocol === 'https:' && u.hostname !== '' && u.username === '' && u.password === '';
}

/**
 * Whether a frame at `frameUrl` is the app's own renderer: the built index.html as a file: URL (any hash,
 * the router's), or a page of the dev server's origin. Anything else (an iframe, a page navigated elsewhere,
 * another file) may not call the IPC contract.
 */
export function isTrustedSender(frameUrl: string | null | undefined, origin: RendererOrigin): boolean {
  if (!frameUrl) return false;
  const u = parse(frameUrl);
  if (!u) return false;
  if (u.protocol === 'file:') {
    const own = pathToFileURL(origin.indexHtml);
    return u.pathname === own.pathname && u.host === own.host && u.search === '';
  }
  if (origin.devServerUrl) {
    const dev = parse(origin.devServerUrl);
    return !!dev && (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === dev.origin;
  }
  return false;
}

/** Web permissions the app's own pages use: writing to the clipboard ("Copy as JSON"). */
const GRANTED_TO_APP: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

/**
 * The permission policy: deny by default (Electron would grant everything). Only the app's own renderer
 * gets the few permissions it uses; camera, microphone, geolocation, notifications from the page, etc. are
 * never granted.
 */
export function isPermissionAllowed(permission: string, requestingUrl: string | null | undefined, origin: RendererOrigin): boolean {
  return GRANTED_TO_APP.has(permission) && isTrustedSender(requestingUrl, origin);
}
