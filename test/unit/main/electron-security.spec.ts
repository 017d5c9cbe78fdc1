import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAllowedExternalUrl, isPermissionAllowed, isTrustedSender } from '../../../src/main/electron-security';

const indexHtml = '/opt/NAS Studio/resources/app/out/renderer/index.html';
const own = pathToFileURL(indexHtml).href;
const built = { indexHtml };
const dev = { indexHtml, devServerUrl: 'http://localhost:5173/' };

describe('external links', () => {
  it('opens https links with a host', () => {
    expect(isAllowedExternalUrl('https://github.com/nas-studio/issues?q=1#x')).toBe(true);
    expect(isAllowedExternalUrl('https://arxiv.org/abs/1806.09055')).toBe(true);
  });
  it('refuses every other scheme, credentials and garbage', () => {
    for (const url of [
      'http://example.com/',
      'file:///etc/passwd',
      own,
      'javascript:alert(1)',
      'smb://host/share',
      'ms-settings:',
      'vscode://file/x',
      'data:text/html,<b>x</b>',
      'https://user:pw@example.com/',
      'https://',
      'not a url',
      '',
    ]) {
      expect(isAllowedExternalUrl(url), url).toBe(false);
    }
  });
});

describe('IPC senders', () => {
  it('trusts the built renderer, with any router hash', () => {
    expect(isTrustedSender(own, built)).toBe(true);
    expect(isTrustedSender(`${own}#/runs/4`, built)).toBe(true);
  });
  it('refuses other files, iframes elsewhere, remote pages and missing frames', () => {
    for (const url of [
      pathToFileURL('/opt/NAS Studio/resources/app/out/renderer/other.html').href,
      pathToFileURL('/tmp/index.html').href,
      `${own}?inject=1`,
      'https://evil.example/',
      'http://localhost:5173/',
      'about:blank',
      'devtools://devtools/bundled/inspector.html',
      '',
      null,
      undefined,
    ]) {
      expect(isTrustedSender(url, built), String(url)).toBe(false);
    }
  });
  it('trusts the dev server origin only while developing', () => {
    expect(isTrustedSender('http://localhost:5173/#/new', dev)).toBe(true);
    expect(isTrustedSender('http://localhost:5174/', dev)).toBe(false);
    expect(isTrustedSender('http://127.0.0.1:5173/', dev)).toBe(false);
    expect(isTrustedSender(own, dev)).toBe(true);
  });
});

describe('permissions', () => {
  it('denies by default, even to the app', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'midi', 'openExternal', 'pointerLock', 'fullscreen', 'clipboard-read', 'unknown']) {
      expect(isPermissionAllowed(p, own, built), p).toBe(false);
    }
  });
  it('grants clipboard writes (Copy as JSON) to the app’s own page only', () => {
    expect(isPermissionAllowed('clipboard-sanitized-write', own, built)).toBe(true);
    expect(isPermissionAllowed('clipboard-sanitized-write', 'https://evil.example/', built)).toBe(false);
    expect(isPermissionAllowed('clipboard-sanitized-write', undefined, built)).toBe(false);
  });
});
