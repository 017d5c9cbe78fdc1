import { request } from 'node:http';

// A raw HTTP client for the server tests: fetch() may not set Host, and follows redirects; this does neither.

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function http(
  origin: string,
  path: string,
  { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const u = new URL(path, origin);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        // An event stream never ends: the first chunk is enough to know it opened.
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          res.once('data', (d: string) => {
            resolve({ status: res.statusCode!, headers: res.headers, body: d });
            req.destroy();
          });
          return;
        }
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The parsed JSON error body of a response. */
export function errorOf(r: RawResponse): string {
  return (JSON.parse(r.body) as { error: string }).error;
}
