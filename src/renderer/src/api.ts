import type { ArgsOf, Channel, NasApi, PushEvent, ResultOf } from '../../shared/api';
import { PushEventSchema } from '../../shared/api';
import { API_PREFIX, EVENTS_PATH } from '../../shared/transport';

// The one way the renderer reaches main: `window.nas` under Electron (the preload bridge), otherwise an
// HTTP + Server-Sent Events client for the headless server. Both implement `NasApi`.

/** An error that crossed the boundary: the server's user-facing message and an optional hint. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

// Authentication is the server's session cookie (HttpOnly, SameSite=Strict), set when the printed
// `?token=` URL is opened; fetch and EventSource send it on their own for same-origin requests, so no script
// here ever sees the token.

function apiBase(): string {
  // Requests go to the page's own origin (connect-src 'self').
  return window.location.origin;
}

export class HttpNasApi implements NasApi {
  private source: EventSource | null = null;
  private readonly listeners = new Set<(e: PushEvent) => void>();
  private readonly connectionListeners = new Set<(s: ConnectionState) => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay = 500;
  private state: ConnectionState = 'connecting';
  private everOpened = false;

  async invoke<K extends Channel>(channel: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
    let res: Response;
    try {
      res = await fetch(`${apiBase()}${API_PREFIX}${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify(args ?? {}),
      });
    } catch (err) {
      throw new ApiError(
        `Cannot reach the NAS Studio server (${channel}).`,
        'Is the server still running? Restart it and reload this page.',
      );
    }
    const text = await res.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (!res.ok) {
      const b = (body ?? {}) as { error?: unknown; hint?: unknown };
      const message =
        typeof b.error === 'string' && b.error
          ? b.error
          : res.status === 401 || res.status === 403
            ? 'Access denied: this browser has no valid session with the server.'
            : `Request ${channel} failed (HTTP ${res.status}).`;
      const hint =
        typeof b.hint === 'string'
          ? b.hint
          : res.status === 401 || res.status === 403
            ? 'Open the URL the server printed at start-up (it ends in ?token=…); after a restart with --new-token, open the new one.'
            : undefined;
      throw new ApiError(message, hint, res.status);
    }
    return body as ResultOf<K>;
  }

  subscribe(listener: (event: PushEvent) => void): () => void {
    this.listeners.add(listener);
    this.ensureSource();
    return () => {
      this.listeners.delete(listener);
    };
  }

  onConnection(listener: (s: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener);
    listener(this.state);
    return () => this.connectionListeners.delete(listener);
  }

  private setState(s: ConnectionState): void {
    if (this.state === s) return;
    this.state = s;
    for (const l of this.connectionListeners) l(s);
  }

  private ensureSource(): void {
    if (this.source || this.retryTimer) return;
    const es = new EventSource(`${apiBase()}${EVENTS_PATH}`);
    this.source = es;
    es.onopen = () => {
      this.retryDelay = 500;
      const wasReconnect = this.everOpened;
      this.everOpened = true;
      this.setState('open');
      if (wasReconnect) for (const l of this.reconnectListeners) l();
    };
    es.onmessage = (msg: MessageEvent<string>) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(msg.data);
      } catch {
        console.warn('[nas] ignoring a non-JSON event', msg.data);
        return;
      }
      const r = PushEventSchema.safeParse(parsed);
      if (!r.success) {
        console.warn('[nas] ignoring an event that does not match the contract', parsed);
        return;
      }
      for (const l of this.listeners) {
        try {
          l(r.data);
        } catch (err) {
          console.error('[nas] event listener failed', err);
        }
      }
    };
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. HTTP error): retry ourselves with backoff.
        this.source = null;
        this.setState('reconnecting');
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.ensureSource();
        }, this.retryDelay);
        this.retryDelay = Math.min(this.retryDelay * 2, 10_000);
      } else {
        // CONNECTING: the browser retries on its own.
        this.setState('reconnecting');
      }
    };
  }

  /** Called after the event stream reconnects: events may have been missed, so refetch. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }
}

function isNasApi(x: unknown): x is NasApi {
  return !!x && typeof (x as NasApi).invoke === 'function' && typeof (x as NasApi).subscribe === 'function';
}

let instance: NasApi | null = null;

/** The API for this window: the preload bridge under Electron, else the HTTP client. */
export function api(): NasApi {
  if (instance) return instance;
  instance = isNasApi(window.nas) ? window.nas : new HttpNasApi();
  return instance;
}

export function isElectron(): boolean {
  return isNasApi(window.nas);
}

/** Connection state of the live event stream (always 'open' under Electron). */
export function onConnection(listener: (s: ConnectionState) => void): () => void {
  const a = api();
  if (a instanceof HttpNasApi) return a.onConnection(listener);
  listener('open');
  return () => {};
}

export function onReconnect(listener: () => void): () => void {
  const a = api();
  if (a instanceof HttpNasApi) return a.onReconnect(listener);
  return () => {};
}

/** A user-facing message for anything thrown. */
export function errorMessage(err: unknown): { message: string; hint?: string } {
  if (err instanceof ApiError) return { message: err.message, hint: err.hint };
  if (err instanceof Error) {
    const hint = (err as Error & { hint?: unknown }).hint;
    // Electron's ipcRenderer.invoke prefixes "Error invoking remote method 'x': Error: ".
    const message = err.message.replace(/^Error invoking remote method '[^']+': (?:\w*Error: )?/, '');
    return { message, hint: typeof hint === 'string' ? hint : undefined };
  }
  return { message: String(err) };
}
