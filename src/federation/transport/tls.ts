// TLS material for the federation server: a self-signed P-256 certificate made with the openssl CLI (node:crypto cannot issue X.509).

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM files of a server certificate; `certPem` doubles as the clients' pinned trust anchor. */
export interface TlsMaterial {
  readonly certPath: string;
  readonly keyPath: string;
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
}

/**
 * Writes `server.pem` and `server.key` (EC P-256, 30 days, SAN localhost/127.0.0.1/::1 plus `hosts`)
 * into `dir` with the openssl CLI. Throws (with openssl's reason) if openssl is missing or fails.
 */
export async function generateTlsMaterial(dir: string, hosts: readonly string[] = []): Promise<TlsMaterial> {
  const certPath = join(dir, 'server.pem');
  const keyPath = join(dir, 'server.key');
  const san = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', ...hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`))];
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '30', '-subj', '/CN=jirachi-federation',
    '-addext', `subjectAltName=${[...new Set(san)].join(',')}`,
  ], { timeout: 30_000 });
  return { certPath, keyPath, certPem: await readFile(certPath), keyPem: await readFile(keyPath) };
}
