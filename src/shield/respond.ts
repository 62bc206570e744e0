// Responses the shield writes itself: block page (HTML or JSON), decoy, 429, 4xx/5xx errors.

import type { ShieldResponse } from './message.js';

const PAGE = (title: string, text: string, id: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;color:#222}code{background:#eee;padding:.1rem .3rem}</style>
</head><body><h1>${title}</h1><p>${text}</p><p>Request id: <code>${id}</code></p></body></html>
`;

/**
 * Writes a shield-made response: status, a short HTML page or JSON error, and the request id header.
 * The body never echoes attacker input. `retryAfterS` adds Retry-After (429, 503).
 */
export function respondError(res: ShieldResponse, o: { status: number; id: string; json: boolean; title: string; text: string; code: string; retryAfterS?: number; close?: boolean }): void {
  if (res.headersSent) { res.destroy(); return; }
  const body = o.json
    ? JSON.stringify({ error: o.code, message: o.text, requestId: o.id }) + '\n'
    : PAGE(o.title, o.text, o.id);
  const headers: Record<string, string | number> = {
    'content-type': o.json ? 'application/json' : 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-jirachi-request-id': o.id,
  };
  if (o.retryAfterS !== undefined) headers['retry-after'] = o.retryAfterS;
  if (o.close) headers['connection'] = 'close';
  res.writeHead(o.status, headers);
  res.end(body);
}

/** The 403 block page. `close`: the request's body is still unread, so the connection closes instead of draining it. */
export function respondBlocked(res: ShieldResponse, id: string, json: boolean, why: 'attack' | 'banned', close = false): void {
  respondError(res, {
    status: 403, id, json, code: why === 'banned' ? 'banned' : 'blocked', title: 'Request blocked', close,
    text: why === 'banned' ? 'Your address is blocked from this service.' : 'This request was blocked by the web application firewall.',
  });
}

/**
 * The decoy answer for DECEIVE: looks like a normal empty result, carries no Jirachi header.
 * The Siren component will replace this with per-attacker deception.
 */
export function respondDecoy(res: ShieldResponse, json: boolean): void {
  const body = json ? '{"results":[],"total":0}\n' : '<!doctype html><html><head><title>Search</title></head><body><h1>Results</h1><p>No results found.</p></body></html>\n';
  res.writeHead(200, { 'content-type': json ? 'application/json' : 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
