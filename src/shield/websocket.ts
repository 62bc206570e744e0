// HTTP/1.1 WebSocket upgrades: the handshake goes through the same checks as any request; bytes are
// piped only after the upstream has answered 101, so no uninspected request can ride the socket.

import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { headerPairs, type RequestView } from '../core/index.js';
import { decide, matchRoute } from '../policy/index.js';
import { isoNow, publishProtocolError } from '../telemetry/index.js';
import { rateKey, resolveClientIp } from './client-ip.js';
import type { ShieldContext } from './context.js';
import { checkFraming } from './framing.js';
import { upstreamHeaders } from './headers.js';
import { countForAutoBan } from './pipeline.js';

const HEAD_MAX = 16_384;

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

/** Why an upgrade request is refused before any check of its content, or null. */
function upgradeShapeError(req: IncomingMessage): string | null {
  if (req.method !== 'GET') return 'upgrade with a method other than GET';
  if ((req.headers.upgrade ?? '').trim().toLowerCase() !== 'websocket') return 'only Upgrade: websocket is proxied';
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return 'upgrade request with a body';
  return null;
}

/** Runs allowlist, bans, rate limit and inspection on the handshake; returns the refusal or null. */
function checkHandshake(ctx: ShieldContext, req: IncomingMessage, ip: string): [number, string] | null {
  const snap = ctx.snapshot;
  if (snap.allowlist.has(ip)) return null;
  if (ctx.bans.match(ip)) return [403, 'Forbidden'];
  if (snap.config.rateLimit.enabled && !ctx.rateLimiter.take(rateKey(ip), Date.now()).allowed) return [429, 'Too Many Requests'];
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const route = matchRoute(snap.policy, 'GET', path);
  if (route.mode === 'off') return null;
  const view: RequestView = { method: 'GET', path, query: q < 0 ? '' : url.slice(q + 1), headers: headerPairs(req.rawHeaders), body: '', bodyTruncated: false, clientIp: ip };
  let verdict: string;
  try { verdict = decide(snap.engine.inspect(view, { maxFindings: 32 }), route).verdict; } catch { verdict = snap.config.failMode === 'closed' ? 'BLOCK' : 'ALLOW'; }
  ctx.metrics.inc('jirachi_requests_total', { verdict, mode: route.mode, route: 'websocket' });
  if (verdict === 'ALLOW') return null;
  countForAutoBan(ctx, ip);
  return [403, 'Forbidden'];
}

/**
 * Handles an `upgrade` event. Only `GET` with `Upgrade: websocket` and no body is accepted; the
 * handshake passes framing, allowlist, bans, rate limit and inspection. Client bytes are held until
 * the upstream's response head is read: on 101 both sides are piped (with an idle timeout); on
 * anything else the response is relayed and both sockets close. Never throws.
 */
export function handleUpgrade(ctx: ShieldContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const snap = ctx.snapshot;
  const ip = resolveClientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'] as string | undefined, snap.trusted);
  const shape = checkFraming(req.httpVersion, req.url ?? '/', req.rawHeaders)?.message ?? upgradeShapeError(req);
  if (shape) {
    publishProtocolError({ time: isoNow(), clientIp: ip, code: 'upgrade', status: 400, message: shape });
    return refuse(socket, 400, 'Bad Request');
  }
  const refusal = checkHandshake(ctx, req, ip);
  if (refusal) return refuse(socket, refusal[0], refusal[1]);
  tunnel(ctx, req, socket, head, ip);
}

function tunnel(ctx: ShieldContext, req: IncomingMessage, socket: Duplex, head: Buffer, ip: string): void {
  const cfg = ctx.snapshot.config;
  const up = ctx.upstream.o.url;
  const tlsUp = up.protocol === 'https:';
  const port = Number(up.port || (tlsUp ? 443 : 80));
  const upstream = tlsUp ? tls.connect({ host: up.hostname, port, servername: up.hostname }) : net.connect({ host: up.hostname, port });
  ctx.tunnels.add(socket);
  const close = (): void => { ctx.tunnels.delete(socket); socket.destroy(); upstream.destroy(); };
  socket.pause();
  (socket as net.Socket).setTimeout(cfg.limits.tunnelIdleTimeoutMs, close);
  upstream.setTimeout(cfg.upstreamTimeouts.connectMs, () => { if (!socket.destroyed) refuse(socket, 504, 'Gateway Timeout'); close(); });
  upstream.once('error', () => { if (!socket.destroyed && socket.writable) refuse(socket, 502, 'Bad Gateway'); close(); });
  socket.once('close', close);
  upstream.once('close', close);
  upstream.once(tlsUp ? 'secureConnect' : 'connect', () => {
    upstream.setTimeout(cfg.upstreamTimeouts.headersMs, () => { if (!socket.destroyed) refuse(socket, 504, 'Gateway Timeout'); close(); });
    const headers = upstreamHeaders(req.rawHeaders, {
      clientIp: ip, proto: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http', host: req.headers.host,
      appendXff: !ctx.snapshot.trusted.empty && ctx.snapshot.trusted.has(req.socket.remoteAddress ?? ''),
    });
    headers.push('Connection', 'Upgrade', 'Upgrade', 'websocket');
    const lines = [`GET ${ctx.upstream.target(req.url ?? '/')} HTTP/1.1`];
    for (let i = 0; i < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    awaitSwitch(upstream, socket, head, cfg.limits.tunnelIdleTimeoutMs, close);
  });
}

/** Reads the upstream's response head; pipes both ways only on 101, else relays it and closes. */
function awaitSwitch(upstream: net.Socket, socket: Duplex, head: Buffer, idleMs: number, close: () => void): void {
  let buf = Buffer.alloc(0);
  const onData = (d: Buffer): void => {
    buf = Buffer.concat([buf, d]);
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) { if (buf.length > HEAD_MAX) close(); return; }
    upstream.off('data', onData);
    upstream.pause();
    const switched = /^HTTP\/1\.1 101 /.test(buf.subarray(0, 16).toString('latin1'));
    socket.write(buf);
    if (!switched) { upstream.unpipe(); socket.end(); upstream.destroy(); return; }
    upstream.setTimeout(idleMs, close);
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
    upstream.resume();
    socket.resume();
  };
  upstream.on('data', onData);
}
