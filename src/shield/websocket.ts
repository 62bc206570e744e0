// HTTP/1.1 Upgrade (WebSocket) pass-through: the handshake goes through the pipeline's checks,
// then bytes are piped both ways between client and upstream.

import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { makeRequestView } from '../core/index.js';
import { decide, matchRoute } from '../policy/index.js';
import { resolveClientIp } from './client-ip.js';
import type { ShieldContext } from './context.js';
import { checkFraming } from './framing.js';

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

/**
 * Handles an `upgrade` event: framing, allowlist, bans and inspection of the handshake request;
 * then opens a connection to the upstream, replays the head (with X-Forwarded-For) and pipes.
 * Never throws; on any failure the client socket is answered or closed.
 */
export function handleUpgrade(ctx: ShieldContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const snap = ctx.snapshot;
  const url = req.url ?? '/';
  const ip = resolveClientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'] as string | undefined, snap.trusted);
  if (checkFraming(req.httpVersion, url, req.rawHeaders)) return refuse(socket, 400, 'Bad Request');
  if (!snap.allowlist.has(ip)) {
    if (ctx.bans.match(ip)) return refuse(socket, 403, 'Forbidden');
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const route = matchRoute(snap.policy, req.method ?? 'GET', path);
    if (route.mode !== 'off') {
      const headers: Array<[string, string]> = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!]);
      const view = makeRequestView({ method: req.method ?? 'GET', path, query: q < 0 ? '' : url.slice(q + 1), headers, clientIp: ip });
      let verdict = 'ALLOW';
      try { verdict = decide(snap.engine.inspect(view, { maxFindings: 32 }), route).verdict; } catch { verdict = snap.config.failMode === 'closed' ? 'BLOCK' : 'ALLOW'; }
      if (verdict !== 'ALLOW') { ctx.metrics.inc('jirachi_requests_total', { verdict: 'BLOCK', mode: route.mode, route: route.name }); return refuse(socket, 403, 'Forbidden'); }
    }
  }
  const up = ctx.upstream.o.url;
  const port = Number(up.port || (up.protocol === 'https:' ? 443 : 80));
  const upstream = up.protocol === 'https:' ? tls.connect({ host: up.hostname, port, servername: up.hostname }) : net.connect({ host: up.hostname, port });
  upstream.setTimeout(ctx.snapshot.config.upstreamTimeouts.connectMs, () => { upstream.destroy(); refuse(socket, 504, 'Gateway Timeout'); });
  upstream.once('error', () => { if (!socket.destroyed) refuse(socket, 502, 'Bad Gateway'); });
  upstream.once(up.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
    upstream.setTimeout(0);
    const lines = [`${req.method} ${url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const n = req.rawHeaders[i]!.toLowerCase();
      if (n === 'x-forwarded-for' || n === 'x-forwarded-proto' || n === 'x-forwarded-host') continue;
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    lines.push(`X-Forwarded-For: ${ip}`, 'X-Forwarded-Proto: http');
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
    ctx.metrics.inc('jirachi_requests_total', { verdict: 'ALLOW', mode: ctx.snapshot.config.mode, route: 'websocket' });
  });
  upstream.on('error', () => socket.destroy());
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
}
