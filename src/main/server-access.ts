import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { TOKEN_HEADER } from '../shared/transport';

// Who may talk to the headless server. Three gates, in this order:
//  1. Host: only names that reach this server directly (loopback, or the configured host when bound
//     elsewhere). A DNS-rebinding page reaches us under its own name and is refused.
//  2. Origin: a browser request from any other origin is refused, even with the right token.
//  3. Token: the `x-nas-token` header (scripts) or the session cookie set when the printed URL is opened.

export const TOKEN_FILE = 'server-token';
const TOKEN_PATTERN = /^[0-9a-f]{32,}$/;

/** The access token kept in the data folder (0600), created on first start; `rotate` replaces it. */
export function loadToken(dataDir: string, { rotate = false } = {}): string {
  const file = join(dataDir, TOKEN_FILE);
  if (!rotate && existsSync(file)) {
    const t = readFileSync(file, 'utf8').trim();
    if (TOKEN_PATTERN.test(t)) return t;
  }
  const t = randomBytes(24).toString('hex');
  // Written aside and renamed, so a crash mid-write never leaves an empty token file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, t, { mode: 0o600 });
  renameSync(tmp, file);
  return t;
}

/** The session cookie's name; the port is in it because browsers share cookies across ports of one host. */
export function cookieName(port: number): string {
  return `nas-studio-session-${port}`;
}

/** HttpOnly (no script reads it), SameSite=Strict (no other site sends it), no Max-Age: gone with the browser. */
export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

function hostsFor(host: string, port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  const bound = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  if (!names.includes(bound)) names.push(bound.toLowerCase());
  const hosts = new Set(names.map((n) => `${n}:${port}`));
  // Browsers leave the default port out of Host.
  if (port === 80) for (const n of names) hosts.add(n);
  return hosts;
}

export class AccessGate {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;
  private readonly key = randomBytes(32);
  private tokenDigest: Buffer;

  constructor(
    host: string,
    readonly port: number,
    token: string,
  ) {
    this.hosts = hostsFor(host, port);
    this.origins = new Set([...this.hosts].map((h) => `http://${h}`));
    this.tokenDigest = this.digest(token);
  }

  /** Why a request must be refused with 403 before anything else, or null when Host and Origin are ours. */
  foreignRequest(req: IncomingMessage): string | null {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!this.hosts.has(host)) {
      return `This server answers only as ${[...this.hosts].join(', ')}; the request named '${host || '(no Host)'}'. Open the URL the server printed.`;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.origins.has(origin.toLowerCase())) {
      return `Requests from other sites (${origin}) are refused. Use the page the server serves itself.`;
    }
    return null;
  }

  /** True when the given token is the current one; constant time, whatever the lengths. */
  matches(given: string | null | undefined): boolean {
    if (!given) return false;
    return timingSafeEqual(this.digest(given), this.tokenDigest);
  }

  /** A request's token from the header (scripts) or the session cookie (the browser); never from the URL. */
  authorised(req: IncomingMessage): boolean {
    const header = req.headers[TOKEN_HEADER];
    if (typeof header === 'string') return this.matches(header);
    return this.matches(readCookie(req.headers.cookie, cookieName(this.port)));
  }

  // Both sides hashed with a per-process key: equal lengths for timingSafeEqual, and no length leak.
  private digest(s: string): Buffer {
    return createHmac('sha256', this.key).update(s).digest();
  }
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
