// Opening ports and obtaining the admin token: the small I/O steps shared by a shield and a cluster primary.

import type http from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { ShieldConfig } from '../config/index.js';

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
}

/** Listens on `HOST:PORT`; resolves with the bound address, rejects on error (port in use, ...). */
export function listen(server: http.Server, where: string): Promise<AddressInfo> {
  const { host, port } = hostPort(where);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(server.address() as AddressInfo); });
  });
}

/**
 * The admin token: from the config, else the env var it names, else the token file in the state
 * dir, else a new random one written there with mode 600. The token itself is never logged.
 */
export function adminToken(cfg: ShieldConfig, say: (l: string) => void): string {
  if (cfg.admin.token) return cfg.admin.token;
  const env = process.env[cfg.admin.tokenEnv];
  if (env && env.length >= 16) return env;
  const file = join(cfg.stateDir, 'admin-token');
  try { const t = readFileSync(file, 'utf8').trim(); if (t.length >= 16) return t; } catch { /* make one */ }
  const t = randomBytes(24).toString('base64url');
  mkdirSync(cfg.stateDir, { recursive: true });
  writeFileSync(file, t + '\n', { mode: 0o600 });
  say(`admin token generated and written to ${file} (mode 600)`);
  return t;
}
