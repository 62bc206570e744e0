// The admin server: /metrics and /healthz, and token-protected /admin/* (bans, status, reload).

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import { err, ok, type Result } from '../core/index.js';
import type { BanStore } from '../decisions/index.js';
import type { Metrics } from '../telemetry/index.js';

/** What the admin API works on: the authoritative bans and the shield's lifecycle hooks. */
export interface AdminBackend {
  readonly bans: Pick<BanStore, 'add' | 'remove' | 'list'>;
  readonly metrics: Metrics;
  /** Operational log line (never secrets). */
  say(line: string): void;
  /** Re-reads the config file; returns the errors (empty when the new config is active). */
  reload(): string[] | Promise<string[]>;
  /** A summary for GET /admin/status. */
  status(): Record<string, unknown>;
  /** Prometheus text for /metrics (a cluster primary merges its workers' snapshots). */
  metricsText(): string | Promise<string>;
  /** Called after a ban was added or removed through the API. */
  bansChanged?(): void;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * The credentials of an `Authorization: Bearer <token>` header, or null for any other scheme. The
 * scheme is matched case-insensitively (RFC 9110 §11.1); one or more spaces may follow it. Pure.
 */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || header.length < 7 || header.slice(0, 6).toLowerCase() !== 'bearer' || header[6] !== ' ') return null;
  let i = 7;
  while (header[i] === ' ') i++;
  return header.slice(i);
}

function authorized(req: IncomingMessage, tokenDigest: Buffer): boolean {
  const given = bearerToken(req.headers.authorization);
  if (given === null) return false;
  // Digests of equal length, compared in constant time: neither the token nor its length leaks.
  return timingSafeEqual(createHash('sha256').update(given).digest(), tokenDigest);
}

/** The longest TTL a ban added through the API may have: 10 years, in seconds. */
export const MAX_BAN_TTL_SECONDS = 315_360_000;

/** A validated POST /admin/bans body. */
export interface BanRequest { readonly target: string; readonly ttlMs: number | null; readonly reason: string }

/**
 * Validates a POST /admin/bans body: `target` a string, `ttlSeconds` absent (permanent) or a
 * positive finite number up to MAX_BAN_TTL_SECONDS, `reason` absent or a string. Pure; the error
 * names the field. The target itself is parsed by the ban store.
 */
export function parseBanRequest(body: unknown): Result<BanRequest, string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return err('expected a JSON object {target, ttlSeconds?, reason?}');
  const b = body as { target?: unknown; ttlSeconds?: unknown; reason?: unknown };
  if (typeof b.target !== 'string') return err('target: expected an IP address or CIDR string');
  const ttl = b.ttlSeconds;
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isFinite(ttl) || !(ttl > 0) || ttl > MAX_BAN_TTL_SECONDS)) {
    return err(`ttlSeconds: expected a positive number of seconds up to ${MAX_BAN_TTL_SECONDS} (10 years); omit it for a permanent ban`);
  }
  if (b.reason !== undefined && typeof b.reason !== 'string') return err('reason: expected a string');
  return ok({ target: b.target, ttlMs: ttl === undefined ? null : ttl * 1000, reason: b.reason ?? 'manual' });
}

async function readJson(req: IncomingMessage, max = 16_384): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) { size += (c as Buffer).length; if (size > max) throw new Error('body too large'); chunks.push(c as Buffer); }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/**
 * Creates the admin server. `/metrics` and `/healthz` are open (bind the admin port to loopback,
 * the default); everything under `/admin/` needs `Authorization: Bearer <token>` and compares it
 * in constant time. Bad input gets 400 with a precise message.
 */
export function createAdminServer(backend: AdminBackend, token: string): http.Server {
  const digest = createHash('sha256').update(token).digest();
  return http.createServer((req, res) => {
    void route(backend, req, res, digest).catch((e: Error) => send(res, 400, { error: e.message.slice(0, 200) }));
  });
}

async function route(ctx: AdminBackend, req: IncomingMessage, res: ServerResponse, digest: Buffer): Promise<void> {
  const hooks = ctx;
  const url = new URL(req.url ?? '/', 'http://admin');
  if (url.pathname === '/healthz') return send(res, 200, { ok: true });
  if (url.pathname === '/metrics' && req.method === 'GET') {
    const text = await hooks.metricsText();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  if (!url.pathname.startsWith('/admin/')) return send(res, 404, { error: 'not found' });
  if (!authorized(req, digest)) { res.setHeader('www-authenticate', 'Bearer'); return send(res, 401, { error: 'missing or wrong admin token' }); }
  if (url.pathname === '/admin/status' && req.method === 'GET') return send(res, 200, hooks.status());
  if (url.pathname === '/admin/reload' && req.method === 'POST') { const errors = await hooks.reload(); return send(res, errors.length ? 400 : 200, { ok: errors.length === 0, errors }); }
  if (url.pathname === '/admin/bans' && req.method === 'GET') return send(res, 200, { bans: ctx.bans.list() });
  if (url.pathname === '/admin/bans' && req.method === 'POST') {
    const b = parseBanRequest(await readJson(req));
    if (!b.ok) return send(res, 400, { error: b.error });
    const r = ctx.bans.add(b.value.target, { ttlMs: b.value.ttlMs, reason: b.value.reason, source: 'manual' });
    if (!r.ok) return send(res, 400, { error: r.error });
    ctx.metrics.inc('jirachi_bans_total', { source: 'manual' });
    ctx.bansChanged?.();
    ctx.say(`ban added: ${r.value.target}${r.value.expiresAt ? ` until ${new Date(r.value.expiresAt).toISOString()}` : ''}`);
    return send(res, 201, { ban: r.value });
  }
  if (url.pathname.startsWith('/admin/bans/') && req.method === 'DELETE') {
    const target = decodeURIComponent(url.pathname.slice('/admin/bans/'.length));
    const r = ctx.bans.remove(target);
    if (!r.ok) return send(res, 400, { error: r.error });
    if (r.value) { ctx.say(`ban removed: ${target}`); ctx.bansChanged?.(); }
    return send(res, r.value ? 200 : 404, { removed: r.value });
  }
  return send(res, 404, { error: 'not found' });
}
