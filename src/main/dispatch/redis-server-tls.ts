import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE, restrictToOwner } from '../store/file-modes';

// The lab's own TLS: a self-signed CA made once per coordinator data folder signs the certificate that Redis
// and the file server present. A worker holds only the CA's SHA-256 fingerprint (from its join code); it
// fetches the chain once, checks that the CA in it has that fingerprint and signed the server's certificate,
// then trusts that CA alone. Host names are not checked: the pinned CA is the identity, and lab machines are
// often reached by an address that was not known when the certificate was made.

export interface LabTls {
  /** The CA certificate (PEM) workers pin. */
  caPem: string;
  /** SHA-256 fingerprint of the CA, as node:crypto prints it (AB:CD:…). */
  caFingerprint: string;
  /** Files for redis.conf and the file server: the server certificate followed by the CA, and its key. */
  chainFile: string;
  keyFile: string;
  caFile: string;
}

export class TlsSetupError extends Error {
  constructor(
    message: string,
    readonly hint: string | null = null,
  ) {
    super(message);
    this.name = 'TlsSetupError';
  }
}

/** Makes the CA and the server certificate in `dir` on first use (with openssl), and reads them after. */
export function ensureLabTls(dir: string, hosts: string[]): LabTls {
  const caFile = join(dir, 'ca.crt');
  const chainFile = join(dir, 'server-chain.crt');
  const keyFile = join(dir, 'server.key');
  mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR });
  restrictToOwner(dir, OWNER_ONLY_DIR);
  if (!existsSync(caFile) || !existsSync(chainFile) || !existsSync(keyFile)) makeCertificates(dir, hosts);
  for (const f of [caFile, chainFile, keyFile, join(dir, 'ca.key')]) restrictToOwner(f, OWNER_ONLY_FILE);
  const caPem = readFileSync(caFile, 'utf8');
  return { caPem, caFingerprint: new X509Certificate(caPem).fingerprint256, chainFile, keyFile, caFile };
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') {
      throw new TlsSetupError('TLS certificates cannot be made: the openssl command is not installed.', "Install it (Debian: 'apt-get install openssl'), or turn TLS off for a trusted lab network.");
    }
    throw new TlsSetupError(`openssl failed making the lab's TLS certificates: ${err.stderr?.toString().trim() || err.message}`);
  }
}

function makeCertificates(dir: string, hosts: string[]): void {
  const names = [...new Set(['localhost', '127.0.0.1', ...hosts.filter((h) => h && h !== '0.0.0.0' && h !== '::')])];
  const san = names.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  const ext = join(dir, 'server.ext');
  writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`, { mode: OWNER_ONLY_FILE });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  // The umask may be loose: the keys are written owner-only by tightening right after each command.
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=NAS Studio lab CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  restrictToOwner(join(dir, 'ca.key'), OWNER_ONLY_FILE);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=NAS Studio coordinator'], dir);
  restrictToOwner(join(dir, 'server.key'), OWNER_ONLY_FILE);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '3650', '-extfile', 'server.ext'], dir);
  // Redis and the file server send the whole chain, so a worker that knows only the fingerprint sees the CA.
  writeFileSync(join(dir, 'server-chain.crt'), readFileSync(join(dir, 'server.crt'), 'utf8') + readFileSync(join(dir, 'ca.crt'), 'utf8'), { mode: OWNER_ONLY_FILE });
  for (const leftover of ['server.csr', 'server.ext', 'ca.srl']) rmSync(join(dir, leftover), { force: true });
}

/** Fingerprints compare without colons and case: 'ab:cd' = 'ABCD'. */
export function sameFingerprint(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/[^0-9a-f]/gi, '').toLowerCase();
  return norm(a).length === 64 && norm(a) === norm(b);
}

/** TLS options that trust only the pinned lab CA, whatever name or address the coordinator is reached by. */
export function pinnedTlsOptions(caPem: string): ConnectionOptions {
  return { ca: caPem, rejectUnauthorized: true, checkServerIdentity: () => undefined };
}

/**
 * Connects once to host:port, finds the CA in the chain the server sends, and returns it (PEM) when its
 * fingerprint is the pinned one and it signed the server's certificate. Anything else is refused, naming
 * both fingerprints' likely causes, since a mismatch means an old join code or someone in between.
 */
export async function fetchPinnedCa(host: string, port: number, fingerprint: string, timeoutMs = 10_000): Promise<string> {
  const chain = await new Promise<PeerCertificate[]>((resolve, reject) => {
    // Unverified on purpose: nothing is sent on this connection; the chain is checked below against the pin.
    const socket = connect({ host, port, rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS answer within ${timeoutMs / 1000} s`)), timeoutMs);
    socket.once('secureConnect', () => {
      const certs: PeerCertificate[] = [];
      let c = socket.getPeerCertificate(true) as PeerCertificate & { issuerCertificate?: PeerCertificate };
      while (c && c.raw && !certs.some((x) => x.fingerprint256 === c.fingerprint256)) {
        certs.push(c);
        c = c.issuerCertificate as typeof c;
      }
      clearTimeout(timer);
      socket.end();
      resolve(certs);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(new TlsSetupError(`Cannot reach the coordinator over TLS at ${host}:${port}: ${e.message}.`, 'Check that the coordinator is running and that this machine can reach that address (firewall, VPN).'));
    });
  });
  const ca = chain.find((c) => sameFingerprint(c.fingerprint256, fingerprint));
  const leaf = chain[0];
  if (!ca || !leaf) {
    throw new TlsSetupError(
      `The coordinator at ${host}:${port} does not present the certificate authority named in the join code (fingerprint ${fingerprint}).`,
      'The join code may be from before the coordinator made new certificates, or something between the machines answers in its place. Ask the coordinator for a new join code.',
    );
  }
  const caCert = new X509Certificate(ca.raw);
  const leafCert = new X509Certificate(leaf.raw);
  if (leaf !== ca && !(leafCert.checkIssued(caCert) && leafCert.verify(caCert.publicKey))) {
    throw new TlsSetupError(`The coordinator's certificate at ${host}:${port} is not signed by the pinned certificate authority.`, 'Ask the coordinator for a new join code.');
  }
  return caCert.toString();
}
