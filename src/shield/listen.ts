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

/** The shortest admin token accepted (config, env var or token file). */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/**
 * The admin token: from the config, else the env var it names, else the token file in the state
 * dir, else a new random one written there with mode 600. A given token shorter than
 * MIN_ADMIN_TOKEN_LENGTH is rejected and `say` is told so in one line, naming where it came from
 * (never the token). The token itself is never logged.
 */
export function adminToken(cfg: ShieldConfig, say: (l: string) => void, env: NodeJS.ProcessEnv = process.env): string {
  const short = (where: string, t: string): void => say(`admin token from ${where} rejected: ${t.length} characters, at least ${MIN_ADMIN_TOKEN_LENGTH} required`);
  const fromConfig = cfg.admin.token;
  if (fromConfig !== undefined && fromConfig.length >= MIN_ADMIN_TOKEN_LENGTH) return fromConfig;
  if (fromConfig) short('config admin.token', fromConfig);
  const fromEnv = env[cfg.admin.tokenEnv];
  if (fromEnv && fromEnv.length >= MIN_ADMIN_TOKEN_LENGTH) return fromEnv;
  if (fromEnv) short(`environment variable ${cfg.admin.tokenEnv}`, fromEnv);
  const file = join(cfg.stateDir, 'admin-token');
  let fromFile: string | undefined;
  try { fromFile = readFileSync(file, 'utf8').trim(); } catch { /* make one */ }
  if (fromFile !== undefined && fromFile.length >= MIN_ADMIN_TOKEN_LENGTH) return fromFile;
  if (fromFile) short(`file ${file}`, fromFile);
  const t = randomBytes(24).toString('base64url');
  mkdirSync(cfg.stateDir, { recursive: true });
  writeFileSync(file, t + '\n', { mode: 0o600 });
  say(`admin token generated and written to ${file} (mode 600)`);
  return t;
}
