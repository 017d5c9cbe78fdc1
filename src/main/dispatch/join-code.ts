import { createHmac } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { JoinCodeSchema, type JoinCode } from '../../shared/dispatch';
import type { RedisUser } from './redis-server-acl';
import type { RedisConnection } from './redis-server-connection';
import { fetchPinnedCa, pinnedTlsOptions } from './redis-server-tls';

// The join code a coordinator shows and a worker pastes: base64url of the JoinCode JSON (host, port, Redis
// user and secret, the lab CA's fingerprint, the file server's address). One line, safe in a terminal and a
// text field. It is a password: whoever holds it can take jobs, so it is shown, never logged.

export class JoinCodeError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'JoinCodeError';
  }
}

const WHERE = "The coordinator shows it under Settings → Let other machines help, and 'nas-studio serve --coordinator' prints it.";

export function encodeJoinCode(code: JoinCode): string {
  return Buffer.from(JSON.stringify(JoinCodeSchema.parse(code)), 'utf8').toString('base64url');
}

/** Reads a pasted code (surrounding spaces and line breaks from e-mail or a terminal are ignored). */
export function parseJoinCode(text: string): JoinCode {
  const compact = text.replace(/\s+/g, '');
  if (!compact) throw new JoinCodeError('The join code is empty.', `Paste the code the coordinator shows. ${WHERE}`);
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(compact)) {
    const bad = compact.match(/[^A-Za-z0-9_=-]/)?.[0];
    throw new JoinCodeError(`This is not a NAS Studio join code: it holds '${bad}', which no join code contains.`, `Copy the whole code again. ${WHERE}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(compact, 'base64url').toString('utf8'));
  } catch {
    throw new JoinCodeError('This join code is cut short or is not a NAS Studio join code.', `Copy the whole code again; it is one long line. ${WHERE}`);
  }
  const parsed = JoinCodeSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || 'the code'))].join(', ');
    throw new JoinCodeError(`This join code lacks or garbles ${fields}.`, `It may come from another version of NAS Studio; ask the coordinator for a new code. ${WHERE}`);
  }
  const c = parsed.data;
  if (!c.host || c.port < 1 || c.port > 65535 || !c.user || !c.secret) {
    throw new JoinCodeError('This join code names no usable address or user.', `Ask the coordinator for a new code. ${WHERE}`);
  }
  if (!/^https?:\/\//.test(c.filesUrl)) throw new JoinCodeError('This join code names no file server address.', `Ask the coordinator for a new code. ${WHERE}`);
  return c;
}

/**
 * The bearer token a worker shows the coordinator's file server: derived from its Redis secret, so one code
 * carries both, and a revoked worker loses both. Neither side stores it.
 */
export function filesTokenFor(secret: string): string {
  return createHmac('sha256', secret).update('nas-studio files v1').digest('base64url');
}

/** The coordinator's code for one worker user. */
export function joinCodeFor(lab: { advertiseHost: string; port: number; tls: { caFingerprint: string } | null }, worker: RedisUser, filesUrl: string): string {
  return encodeJoinCode({ host: lab.advertiseHost, port: lab.port, user: worker.user, secret: worker.password, caFingerprint: lab.tls?.caFingerprint ?? null, filesUrl });
}

export interface JoinedLab {
  redis: RedisConnection;
  files: { url: string; token: string; tls?: ConnectionOptions };
  /** Null when the coordinator's Redis has no TLS (the code holds no fingerprint). */
  caPem: string | null;
}

/**
 * What a worker connects with, from its code: with a fingerprint, the coordinator's CA is fetched from the
 * Redis port and checked against it first, then it is the only CA trusted (Redis and the file server).
 */
export async function joinLab(code: JoinCode): Promise<JoinedLab> {
  const caPem = code.caFingerprint ? await fetchPinnedCa(code.host, code.port, code.caFingerprint) : null;
  const tls = caPem ? pinnedTlsOptions(caPem) : undefined;
  return {
    redis: { host: code.host, port: code.port, username: code.user, password: code.secret, tls },
    files: { url: code.filesUrl, token: filesTokenFor(code.secret), tls },
    caPem,
  };
}
