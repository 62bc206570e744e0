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
import type { ShieldContext, ShieldSnapshot } from './context.js';
import { checkFraming } from './framing.js';
import { upstreamHeaders } from './headers.js';
import { countForAutoBan } from './pipeline.js';
import { BodyReader, parseResponseHead, type BodyFraming } from './h1-response.js';
import { runOne } from './inspect-batch.js';
import { CLEAN, engineErrorDecision, isEngineError, newTrace, recordVerdict, type Trace } from './verdict.js';

const HEAD_MAX = 16_384;
/** Client bytes held before the upstream's 101 (RFC 6455 §4.1: a client waits for the answer; a few frames sent early still pass). */
const EARLY_MAX = 65_536;
/** Interim (1xx) answers relayed before the final one (more is a broken or hostile upstream). */
const INTERIM_MAX = 8;

/** Answers the handshake itself (with the request id) and closes the socket. */
function refuse(socket: Duplex, status: number, text: string, id: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\nx-jirachi-request-id: ${id}\r\n\r\n`);
}

/** Why an upgrade request is refused before any check of its content, or null. */
function upgradeShapeError(req: IncomingMessage): string | null {
  if (req.method !== 'GET') return 'upgrade with a method other than GET';
  if ((req.headers.upgrade ?? '').trim().toLowerCase() !== 'websocket') return 'only Upgrade: websocket is proxied';
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return 'upgrade request with a body';
  return null;
}

/**
 * Runs allowlist, bans, rate limit and inspection on the handshake, deciding `tr.decision` as the
 * request pipeline does; returns the refusal or null.
 */
function checkHandshake(ctx: ShieldContext, snap: ShieldSnapshot, req: IncomingMessage, tr: Trace): [number, string] | null {
  const ip = tr.clientIp;
  const cfg = snap.config;
  if (snap.allowlist.has(ip)) { tr.decision = CLEAN(cfg.mode, 'allowlisted'); return null; }
  if (ctx.bans.match(ip)) { tr.decision = { ...CLEAN(cfg.mode, 'banned'), verdict: 'BLOCK', wouldBlock: true }; return [403, 'Forbidden']; }
  if (cfg.rateLimit.enabled && !ctx.rateLimiter.take(rateKey(ip), Date.now()).allowed) { tr.decision = { ...CLEAN(cfg.mode, 'rate-limited'), verdict: 'RATE_LIMIT' }; return [429, 'Too Many Requests']; }
  const route = matchRoute(snap.policy, 'GET', tr.path);
  tr.route = route.name;
  if (route.mode === 'off') { tr.decision = CLEAN(route.mode, 'mode-off'); return null; }
  const view: RequestView = { method: 'GET', path: tr.path, query: tr.query, headers: headerPairs(req.rawHeaders), body: '', bodyTruncated: false, clientIp: ip };
  const o = runOne(snap.engine, view, 32);
  tr.inspectUs = o.us;
  if (o.ok) tr.decision = decide(o.findings, route);
  else {
    ctx.say(`detection failed on WebSocket handshake ${tr.id}: ${o.error.message}`);
    tr.decision = engineErrorDecision(cfg.failMode, route.mode);
  }
  if (tr.decision.verdict === 'ALLOW') return null;
  if (!isEngineError(tr.decision)) countForAutoBan(ctx, ip);
  return [403, 'Forbidden'];
}

/**
 * Handles an `upgrade` event. Only `GET` with `Upgrade: websocket` and no body is accepted; the
 * handshake passes framing, allowlist, bans, rate limit and inspection, and gets one verdict event
 * like any request (status: the shield's refusal, or the upstream's answer). Client bytes are held
 * until the upstream's response head is read: on 101 both sides are piped (with an idle timeout); on
 * anything else the whole response is relayed and both sockets close. Never throws.
 */
export function handleUpgrade(ctx: ShieldContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const snap = ctx.snapshot;
  // As in the request pipeline: no peer address (the client reset at once) means no request.
  const peer = req.socket.remoteAddress;
  const tr = newTrace(req.url ?? '/', snap.config.mode);
  const record = (status: number): void => recordVerdict(ctx, tr, { method: req.method ?? '', headers: req.headers, status });
  if (peer === undefined) { tr.decision = { ...CLEAN(snap.config.mode, 'protocol:no-peer'), verdict: 'BLOCK' }; socket.destroy(); record(0); return; }
  tr.clientIp = resolveClientIp(peer, req.headers['x-forwarded-for'] as string | undefined, snap.trusted);
  const shape = checkFraming(req.httpVersion, req.url ?? '/', req.rawHeaders)?.message ?? upgradeShapeError(req);
  if (shape) {
    tr.decision = { ...CLEAN(snap.config.mode, 'protocol:upgrade'), verdict: 'BLOCK' };
    publishProtocolError({ time: isoNow(), clientIp: tr.clientIp, code: 'upgrade', status: 400, message: shape });
    refuse(socket, 400, 'Bad Request', tr.id);
    record(400);
    return;
  }
  const refusal = checkHandshake(ctx, snap, req, tr);
  if (refusal) { refuse(socket, refusal[0], refusal[1], tr.id); record(refusal[0]); return; }
  tunnel(ctx, snap, req, socket, head, tr, record);
}

function tunnel(ctx: ShieldContext, snap: ShieldSnapshot, req: IncomingMessage, socket: Duplex, head: Buffer, tr: Trace, record: (status: number) => void): void {
  const cfg = snap.config;
  const up = ctx.upstream.o.url;
  const tlsUp = up.protocol === 'https:';
  const port = Number(up.port || (tlsUp ? 443 : 80));
  const upstream = tlsUp ? tls.connect({ host: up.hostname, port, servername: up.hostname }) : net.connect({ host: up.hostname, port });
  ctx.tunnels.add(socket);
  // One verdict event per handshake: the upstream's status, the shield's 502/504, or 0 if the client left first.
  let recorded = false;
  const once = (status: number): void => { if (!recorded) { recorded = true; record(status); } };
  const close = (): void => { ctx.tunnels.delete(socket); socket.destroy(); upstream.destroy(); once(0); };
  // After a relayed non-101 answer the client socket ends gracefully (its last bytes still flush)
  // while the upstream is dropped; the socket's own close then finishes the cleanup.
  let relayed = false;
  const endRelay = (): void => { relayed = true; socket.end(); upstream.destroy(); };
  // Once the upstream's head went to the client, a failure only closes (never writes into its answer).
  let answered = false;
  const fail = (status: 502 | 504, text: string): void => { if (!answered && !socket.destroyed && socket.writable) refuse(socket, status, text, tr.id); once(status); close(); };
  // Until the upstream answers, client bytes are held (bounded), not left unread: a paused socket
  // would hide the client's FIN, and a client that left would be noticed only at the header timeout.
  const early = holdEarly(socket, () => { if (!answered) close(); });
  (socket as net.Socket).setTimeout(cfg.limits.tunnelIdleTimeoutMs, close);
  upstream.setTimeout(cfg.upstreamTimeouts.connectMs, () => fail(504, 'Gateway Timeout'));
  upstream.once('error', () => fail(502, 'Bad Gateway'));
  socket.once('close', close);
  upstream.once('close', () => { if (!relayed) close(); });
  const t = process.hrtime.bigint();
  upstream.once(tlsUp ? 'secureConnect' : 'connect', () => {
    upstream.setTimeout(cfg.upstreamTimeouts.headersMs, () => fail(504, 'Gateway Timeout'));
    const headers = upstreamHeaders(req.rawHeaders, {
      clientIp: tr.clientIp, proto: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http', host: req.headers.host,
      appendXff: !snap.trusted.empty && snap.trusted.has(req.socket.remoteAddress ?? ''),
    });
    headers.push('Connection', 'Upgrade', 'Upgrade', 'websocket');
    const lines = [`GET ${ctx.upstream.target(req.url ?? '/')} HTTP/1.1`];
    for (let i = 0; i < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    awaitSwitch(upstream, socket, () => Buffer.concat([head, ...early.take()]), cfg.limits.tunnelIdleTimeoutMs, close, endRelay, (status) => {
      if (status === null) { fail(502, 'Bad Gateway'); return; }
      answered = true;
      tr.upstreamStatus = status;
      tr.upstreamMs = Number(process.hrtime.bigint() - t) / 1e6;
      once(status);
    });
  });
}

/**
 * Reads the upstream's response head and reports its status (null: not a usable HTTP/1.1 answer).
 * Interim answers (1xx other than 101, e.g. 103 Early Hints) are relayed as they come (RFC 9110
 * §15.2: a proxy forwards them), at most INTERIM_MAX. On 101 the held client bytes (`early()`) go
 * up and both ways are piped; on anything else the whole response (as its framing delimits it) is
 * relayed and both sockets close.
 */
function awaitSwitch(upstream: net.Socket, socket: Duplex, early: () => Buffer, idleMs: number, close: () => void, endRelay: () => void, onHead: (status: number | null) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  let interim = 0;
  const onData = (d: Buffer): void => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    const fail = (): void => { upstream.off('data', onData); onHead(null); };
    let end: number, parsed: ReturnType<typeof parseResponseHead>;
    for (;;) {
      end = buf.indexOf('\r\n\r\n');
      if (end < 0) { if (buf.length > HEAD_MAX) fail(); return; }
      parsed = parseResponseHead(buf.toString('latin1', 0, end), 'GET');
      if (!parsed.ok) { fail(); return; }
      if (parsed.head.status >= 200 || parsed.head.status === 101) break;
      if (++interim > INTERIM_MAX) { fail(); return; }
      socket.write(buf.subarray(0, end + 4));
      buf = buf.subarray(end + 4);
    }
    upstream.off('data', onData);
    upstream.pause();
    onHead(parsed.head.status);
    upstream.setTimeout(idleMs, close);
    const held = early();
    if (parsed.head.status !== 101) { relayAnswer(upstream, socket, buf, end + 4, parsed.head.framing, close, endRelay); return; }
    socket.write(buf);
    if (held.length) upstream.write(held);
    upstream.pipe(socket);
    socket.pipe(upstream);
    upstream.resume();
    socket.resume();
  };
  upstream.on('data', onData);
}

/**
 * Holds what the client sends before the upstream's answer (at most EARLY_MAX bytes; more, or the
 * client's end, calls `gone`). `take()` stops holding, pauses the socket and returns the bytes.
 */
function holdEarly(socket: Duplex, gone: () => void): { take: () => Buffer[] } {
  const held: Buffer[] = [];
  let bytes = 0;
  const onData = (d: Buffer): void => {
    bytes += d.length;
    if (bytes > EARLY_MAX) { stop(); gone(); return; }
    held.push(d);
  };
  const stop = (): void => { socket.off('data', onData); socket.off('end', gone); socket.pause(); };
  socket.on('data', onData);
  socket.once('end', gone);
  return { take: () => { stop(); return held.splice(0); } };
}

/** Relays a non-101 answer (head and body, raw) to the client, then closes both sides. */
function relayAnswer(upstream: net.Socket, socket: Duplex, first: Buffer, bodyAt: number, framing: BodyFraming, close: () => void, end: () => void): void {
  const reader = new BodyReader(framing, () => {});
  const pass = (b: Buffer): boolean => {
    const r = reader.feed(b);
    if (r.error) { close(); return true; }
    const ok = socket.write(r.extra ? b.subarray(0, b.length - r.extra) : b);
    if (r.done) { end(); return true; }
    if (!ok) { upstream.pause(); socket.once('drain', () => upstream.resume()); }
    return false;
  };
  socket.write(first.subarray(0, bodyAt));
  if (reader.done) { end(); return; }
  if (first.length > bodyAt && pass(first.subarray(bodyAt))) return;
  upstream.on('data', pass);
  upstream.once('end', end);
  upstream.resume();
}
