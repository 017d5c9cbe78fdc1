import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTempDir, startServer, type ServerProcess } from '../../support/nas-server';
import { errorOf, http } from './http';

// Who gets in: the real server on a real port. A DNS-rebinding page reaches the server under a foreign Host;
// another site's page sends a foreign Origin; both carry the right token here to show it is not enough.

describe('headless server access', () => {
  const tmp = makeTempDir('nas-it-access-');
  let s: ServerProcess;
  let port: string;
  beforeAll(async () => {
    s = await startServer(tmp.dir);
    port = new URL(s.origin).port;
  });
  afterAll(async () => {
    await s?.stop();
    tmp.dispose();
  });

  const list = (headers: Record<string, string>) => http(s.origin, '/api/runs.list', { method: 'POST', headers, body: '{}' });

  test('a foreign Host is refused with 403 even with the right token; loopback names are served', async () => {
    for (const host of [`evil.example:${port}`, 'attacker.test', `127.0.0.1:${Number(port) + 1}`]) {
      const r = await list({ 'x-nas-token': s.token, host });
      expect(r.status, host).toBe(403);
      expect(errorOf(r)).toMatch(/answers only as .*127\.0\.0\.1/);
      const page = await http(s.origin, '/', { headers: { host } });
      expect(page.status, `page for ${host}`).toBe(403);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect((await list({ 'x-nas-token': s.token, host })).status, host).toBe(200);
    }
  });

  test('a foreign Origin is refused with 403 even with the right token; the own origin is served', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${Number(port) + 1}`, `https://127.0.0.1:${port}`, 'null']) {
      const r = await list({ 'x-nas-token': s.token, origin });
      expect(r.status, origin).toBe(403);
      expect(errorOf(r)).toMatch(/other sites/);
    }
    expect((await list({ 'x-nas-token': s.token, origin: s.origin })).status).toBe(200);
    expect((await list({ 'x-nas-token': s.token, origin: `http://localhost:${port}` })).status).toBe(200);
  });

  test('the printed URL sets an HttpOnly, SameSite=Strict session cookie and redirects to the address without the token', async () => {
    const r = await http(s.origin, `/?token=${s.token}&view=runs`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/?view=runs');
    expect(r.headers.location).not.toContain(s.token);
    const cookies = r.headers['set-cookie'] as string[];
    expect(cookies).toHaveLength(1);
    const attrs = cookies[0]!.split(';').map((a) => a.trim());
    const [name, value] = attrs[0]!.split('=');
    expect(attrs.slice(1)).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/']));
    // A session cookie: it goes when the browser closes.
    expect(attrs.some((a) => /^(expires|max-age)=/i.test(a))).toBe(false);

    const cookie = `${name}=${value}`;
    const withCookie = await list({ cookie });
    expect(withCookie.status).toBe(200);
    expect(JSON.parse(withCookie.body)).toEqual([]);
    // EventSource sends the same-origin cookie: no token in its URL.
    const events = await http(s.origin, '/api/events', { headers: { cookie } });
    expect(events.status).toBe(200);
    expect(events.headers['content-type']).toMatch(/^text\/event-stream/);
    // A cookie with another value (an old session, a guess) is refused.
    expect((await list({ cookie: `${name}=${'0'.repeat(value!.length)}` })).status).toBe(401);
  });

  test('a wrong token in the URL sets no cookie and says what to open instead', async () => {
    const r = await http(s.origin, `/?token=${'a'.repeat(48)}`);
    expect(r.status).toBe(401);
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.body).toMatch(/wrong or old access token.*\n.*Open the URL the NAS Studio server printed/);
  });

  test('the x-nas-token header works for scripts; no token is 401; the query token is refused on API routes', async () => {
    expect((await list({ 'x-nas-token': s.token })).status).toBe(200);
    const none = await list({});
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).hint).toMatch(/x-nas-token/);
    expect((await list({ 'x-nas-token': s.token.slice(0, -1) })).status).toBe(401);

    const inQuery = await http(s.origin, `/api/runs.list?token=${s.token}`, { method: 'POST', body: '{}' });
    expect(inQuery.status).toBe(401);
    expect(errorOf(inQuery)).toMatch(/not accepted in the URL/);
    expect((await http(s.origin, `/api/events?token=${s.token}`)).status).toBe(401);
  });

  test('--new-token replaces the stored token: the old header and cookie stop working, a plain restart keeps it', async () => {
    const old = s.token;
    const oldCookie = (await http(s.origin, `/?token=${old}`)).headers['set-cookie']![0]!.split(';')[0]!;
    await s.stop();

    s = await startServer(tmp.dir, { args: ['--new-token'] });
    port = new URL(s.origin).port;
    expect(s.token).not.toBe(old);
    expect(s.output()).toMatch(/new access token/);
    const file = join(tmp.dir, 'server-token');
    expect(readFileSync(file, 'utf8').trim()).toBe(s.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await list({ 'x-nas-token': old })).status).toBe(401);
    // The old cookie, renamed for the new port so that only its value differs.
    const oldValue = oldCookie.split('=')[1];
    expect((await list({ cookie: `nas-studio-session-${port}=${oldValue}` })).status).toBe(401);
    expect((await http(s.origin, `/?token=${old}`)).status).toBe(401);
    expect((await list({ 'x-nas-token': s.token })).status).toBe(200);

    const rotated = s.token;
    await s.stop();
    s = await startServer(tmp.dir);
    port = new URL(s.origin).port;
    expect(s.token).toBe(rotated);
  });
});
