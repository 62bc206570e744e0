// The request pipeline: framing → client IP → allowlist → bans → rate limit → route → inspect →
// decide → forward / block / deceive, then one verdict event.

import type { Readable } from 'node:stream';
import { headerPairs, type Mode, type RequestView } from '../core/index.js';
import { decide, matchRouteWithOverride, type RoutePolicy } from '../policy/index.js';
import { isoNow, publishProtocolError } from '../telemetry/index.js';
import { bufferedBody, continueBody, readBodyPrefix } from './body.js';
import { bodyHeadCheck, bodyPrefixCheck, inspectedText, isRefusal, TOO_LARGE, type BodyLimits, type BodyRefusal } from './body-stage.js';
import { rateKey, resolveClientIp } from './client-ip.js';
import type { ShieldContext, ShieldSnapshot } from './context.js';
import type { ForwardOutcome } from './forward.js';
import { applyAutoBan } from './auto-ban.js';
import { checkFraming } from './framing.js';
import { upstreamHeaders } from './headers.js';
import { bodyMethodClaims, mayCarryMethodField, methodOverrides, newClaims } from './method-override.js';
import { respondBlocked, respondDecoy, respondError } from './respond.js';
import { InspectBatcher } from './inspect-batch.js';
import type { ShieldRequest, ShieldResponse } from './message.js';
import { CLEAN, engineErrorDecision, isEngineError, newTrace, recordVerdict, type Trace } from './verdict.js';

/** Inspections of requests that become ready in one event-loop turn run back to back (engine stays cache-warm). */
const batcher = new InspectBatcher(32);

/** Options of one request's handling. */
export interface RequestOptions {
  /** The client sent `Expect: 100-continue`: answer 100 only once its body is wanted (never to a refused request). */
  readonly expectContinue?: boolean;
}

/**
 * Handles one request end to end. Never throws; every exit answers the client (or destroys the
 * socket if the response had already started) and publishes one verdict event, written once both
 * the response has closed and the pipeline has settled (so a client that leaves mid-inspection
 * still gets the verdict the engine reached, not a premature "clean").
 */
export async function handleRequest(ctx: ShieldContext, req: ShieldRequest, res: ShieldResponse, opts: RequestOptions = {}): Promise<void> {
  const snap = ctx.snapshot;
  const tr = newTrace(req.url, snap.config.mode);
  ctx.inFlight++;
  let closed = false, settled = false;
  const done = (): void => {
    ctx.inFlight--;
    recordVerdict(ctx, tr, { method: req.method, headers: req.headers, status: res.headersSent ? res.statusCode : 0 });
  };
  // A pipelined request queued behind another never gets the socket if the client leaves first,
  // so its response never closes: the socket's close ends it too (whichever comes first counts).
  const socket = req.socket;
  const onClosed = (): void => { if (closed) return; closed = true; socket.off('close', onClosed); if (settled) done(); };
  res.once('close', onClosed);
  // One such listener per request queued on the connection (node:http parses pipelined requests at once).
  if (socket.listenerCount('close') >= socket.getMaxListeners() - 1) socket.setMaxListeners(socket.getMaxListeners() * 2);
  socket.once('close', onClosed);
  try {
    await pipeline(ctx, snap, req, res, tr, opts.expectContinue === true);
  } catch (e) {
    ctx.say(`internal error on request ${tr.id}: ${(e as Error).message}`);
    tr.decision = { ...tr.decision, reason: 'internal-error' };
    respondError(res, { status: 500, id: tr.id, json: true, code: 'internal', title: 'Internal error', text: 'The shield failed on this request.' });
  }
  settled = true;
  if (closed) done();
}

/** The request declares a body (chunked, or a Content-Length above 0). */
function hasBody(req: ShieldRequest): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** The request still has body bytes on the wire (refusing it must close the connection, not drain them). */
function bodyPending(req: ShieldRequest): boolean {
  return req.stream !== null && !req.stream.complete && hasBody(req);
}

/**
 * Reads the body prefix (after `100 Continue` if the client asked): the prefix and whether it is the
 * whole body, or null once the request was answered (413 over `maxBodyBytes`) or dropped (the body
 * failed to arrive whole: never forward part of it).
 */
async function readBody(res: ShieldResponse, req: ShieldRequest, tr: Trace, limits: BodyLimits, json: boolean, expectContinue: boolean): Promise<ReadBody | null> {
  allowBody(res, expectContinue);
  const b = req.stream === null ? bufferedBody(req.body, limits.maxBodyBytes) : await readBodyPrefix(req.stream, limits.inspectBodyBytes, limits.maxBodyBytes);
  if (b.failed) { tr.decision = { ...CLEAN(tr.decision.mode, 'protocol:body'), verdict: 'BLOCK' }; res.destroy(); return null; }
  if (b.tooLarge) { refuseBody(res, tr, json, tr.decision.mode, TOO_LARGE); return null; }
  return b;
}

/** A body prefix read by `readBody`, whether it is the whole body, and its inspected text once decoded. */
interface ReadBody { readonly prefix: Buffer; readonly complete: boolean; readonly text?: string }

/** What to forward of a body `readBody` read: the buffer when it is whole (or the fast server read it all), else its prefix followed by the rest of the stream. */
function bodyToForward(req: ShieldRequest, b: { readonly prefix: Buffer; readonly complete: boolean }, maxBody: number): Buffer | Readable {
  return b.complete || req.stream === null ? b.prefix : continueBody(req.stream, b.prefix, maxBody);
}

/** Lets a client that sent `Expect: 100-continue` send its body (once: Node ignores a second call's effect). */
function allowBody(res: ShieldResponse, expectContinue: boolean): void {
  if (expectContinue && !res.headersSent && !res.destroyed) res.writeContinue();
}

async function pipeline(ctx: ShieldContext, snap: ShieldSnapshot, req: ShieldRequest, res: ShieldResponse, tr: Trace, expectContinue: boolean): Promise<void> {
  const cfg = snap.config;
  const url = req.url;
  // Node knows the peer only if it was read while the socket was connected (the server reads it on
  // accept): a client that resets at once leaves no address, and must not pass as some other one.
  const peer = req.socket.remoteAddress;
  if (peer === undefined) { tr.decision = { ...CLEAN(cfg.mode, 'protocol:no-peer'), verdict: 'BLOCK' }; res.destroy(); return; }
  tr.clientIp = resolveClientIp(peer, req.headers['x-forwarded-for'] as string | undefined, snap.trusted);
  const bad = checkFraming(req.httpVersion, url, req.rawHeaders);
  if (bad) {
    tr.decision = { ...CLEAN(cfg.mode, `protocol:${bad.code}`), verdict: 'BLOCK' };
    publishProtocolError({ time: isoNow(), clientIp: tr.clientIp, code: bad.code, status: bad.status, message: bad.message });
    respondError(res, { status: bad.status, id: tr.id, json: true, code: bad.code, title: 'Bad request', text: bad.message, close: true });
    return;
  }
  const allowlisted = snap.allowlist.has(tr.clientIp);
  if (!allowlisted) {
    const ban = ctx.bans.match(tr.clientIp);
    if (ban) {
      tr.decision = { ...CLEAN(cfg.mode, 'banned'), verdict: 'BLOCK', wouldBlock: true };
      respondBlocked(res, tr.id, wantsJson(req), 'banned', bodyPending(req));
      return;
    }
    if (cfg.rateLimit.enabled) {
      const r = ctx.rateLimiter.take(rateKey(tr.clientIp), Date.now());
      if (!r.allowed) {
        tr.decision = { ...CLEAN(cfg.mode, 'rate-limited'), verdict: 'RATE_LIMIT' };
        respondError(res, { status: 429, id: tr.id, json: wantsJson(req), code: 'rate_limited', title: 'Too many requests', text: 'Slow down and retry later.', retryAfterS: r.retryAfterS, close: bodyPending(req) });
        return;
      }
    }
  }
  const method = req.method;
  const headerOverrides = methodOverrides(method, req.rawHeaders, tr.query);
  let route = matchRouteWithOverride(snap.policy, method, headerOverrides, tr.path);
  let early: ReadBody | null = null;
  // Body claims can only change the route when some route matches by method (the body is read later otherwise).
  if (method === 'POST' && snap.policy.byMethod && !allowlisted && hasBody(req) && mayCarryMethodField(req.headers['content-type'])) {
    const r = await routeByBody(snap, req, res, tr, route, headerOverrides, expectContinue);
    if (r === null) return;
    ({ route, early } = r);
  }
  tr.route = route.name;
  if (allowlisted || route.mode === 'off') {
    tr.decision = CLEAN(route.mode, allowlisted ? 'allowlisted' : 'mode-off');
    await forwardAndRecord(ctx, snap, req, res, tr, early, false, expectContinue);
    return;
  }
  await inspectAndAct(ctx, snap, req, res, tr, route, early, expectContinue);
}

/**
 * A POST form, multipart or JSON body may carry a `_method` field the upstream honours: it is read
 * before the final routing (it is read anyway, to inspect or to forward), so the field can make the
 * route stricter. Refusals before the read are the header route's own (413, body encodings, then
 * 100-continue). Null once the request was answered or dropped.
 */
async function routeByBody(snap: ShieldSnapshot, req: ShieldRequest, res: ShieldResponse, tr: Trace, route: RoutePolicy, headerOverrides: string[], expectContinue: boolean): Promise<{ route: RoutePolicy; early: ReadBody } | null> {
  const cfg = snap.config;
  const declared = Number(req.headers['content-length'] ?? 0);
  tr.route = route.name;
  if (declared > cfg.limits.maxBodyBytes) { refuseBody(res, tr, route.api, cfg.mode, TOO_LARGE); return null; }
  const headRefusal = route.mode === 'off' ? null : bodyHeadCheck(cfg.limits, req.rawHeaders, declared, true);
  if (headRefusal) { refuseBody(res, tr, route.api, cfg.mode, headRefusal); return null; }
  const read = await readBody(res, req, tr, cfg.limits, route.api, expectContinue);
  if (read === null) return null;
  const text = inspectedText(read.prefix, cfg.limits);
  const early = { ...read, text };
  const complete = early.complete && early.prefix.length <= cfg.limits.inspectBodyBytes;
  const more = newClaims(headerOverrides, bodyMethodClaims({ type: req.headers['content-type'], encoding: req.headers['content-encoding'], text, complete }));
  return { route: more.length ? matchRouteWithOverride(snap.policy, req.method, [...headerOverrides, ...more], tr.path) : route, early };
}

async function inspectAndAct(ctx: ShieldContext, snap: ShieldSnapshot, req: ShieldRequest, res: ShieldResponse, tr: Trace, route: RoutePolicy, early: ReadBody | null, expectContinue: boolean): Promise<void> {
  const cfg = snap.config;
  const withBody = hasBody(req);
  const headRefusal = bodyHeadCheck(cfg.limits, req.rawHeaders, Number(req.headers['content-length'] ?? 0), withBody);
  if (headRefusal) return refuseBody(res, tr, route.api, cfg.mode, headRefusal);
  let prefix: Buffer = Buffer.alloc(0);
  let complete = !withBody;
  let decoded: string | undefined;
  if (withBody) {
    const b = early ?? await readBody(res, req, tr, cfg.limits, route.api, expectContinue);
    if (b === null) return;
    prefix = b.prefix; complete = b.complete; decoded = b.text;
  }
  const forInspection = bodyPrefixCheck(cfg.limits, req.headers['content-type'], prefix, complete, decoded);
  if (isRefusal(forInspection)) return refuseBody(res, tr, route.api, cfg.mode, forInspection);
  tr.bodyText = forInspection.text;
  const view: RequestView = { method: req.method, path: tr.path, query: tr.query, headers: headerPairs(req.rawHeaders), body: forInspection.text, bodyTruncated: forInspection.truncated, clientIp: tr.clientIp };
  const o = await batcher.inspect(snap.engine, view);
  tr.inspectUs = o.us;
  if (o.ok) tr.decision = decide(o.findings, route);
  else {
    ctx.say(`detection failed on request ${tr.id}: ${o.error.message}`);
    tr.decision = engineErrorDecision(cfg.failMode, route.mode);
  }
  const d = tr.decision;
  if (d.verdict === 'BLOCK' || d.verdict === 'DECEIVE') {
    req.stream?.resume();
    if (!isEngineError(d)) countForAutoBan(ctx, tr.clientIp);
    if (d.verdict === 'DECEIVE') respondDecoy(res, route.api);
    else respondBlocked(res, tr.id, route.api, 'attack', !complete);
    return;
  }
  // The client may have left while its request waited for inspection: nothing to forward it for.
  if (res.destroyed) return;
  const body = !withBody ? null : bodyToForward(req, { prefix, complete }, cfg.limits.maxBodyBytes);
  await forwardAndRecord(ctx, snap, req, res, tr, body, route.api, false);
}

/** Answers a body the shield will not forward (413, 415, 400), closing the connection (its body is not drained), and records why. */
function refuseBody(res: ShieldResponse, tr: Trace, json: boolean, mode: Mode, r: BodyRefusal): void {
  tr.decision = { ...CLEAN(mode, r.reason), verdict: 'BLOCK' };
  if (r.status !== 413) publishProtocolError({ time: isoNow(), clientIp: tr.clientIp, code: r.code, status: r.status, message: r.message });
  const title = r.status === 413 ? 'Request too large' : 'Unsupported request body';
  respondError(res, { status: r.status, id: tr.id, json, code: r.code, title, text: r.message, close: true });
}

/** Counts a blocked request towards its source's automatic ban (here, or at the cluster primary). */
export function countForAutoBan(ctx: ShieldContext, ip: string): void {
  const auto = ctx.snapshot.config.bans.auto;
  if (!auto.enabled) return;
  if (ctx.reportBlocked) { ctx.reportBlocked(ip); return; }
  applyAutoBan(ip, ctx.autoBan, ctx.bans, auto, ctx.metrics, ctx.say);
}

async function forwardAndRecord(ctx: ShieldContext, snap: ShieldSnapshot, req: ShieldRequest, res: ShieldResponse, tr: Trace, given: Buffer | Readable | ReadBody | null, json: boolean, expectContinue: boolean): Promise<void> {
  const limits = snap.config.limits;
  // A body read before routing (`_method` fields): whole, or its prefix followed by the rest.
  let body = given !== null && 'prefix' in given ? bodyToForward(req, given, limits.maxBodyBytes) : given;
  if (body === null && hasBody(req)) {
    // Uninspected route or allowlisted client: a body that fits the inspection limit is forwarded as
    // one buffer; a longer one is streamed behind its prefix.
    if (Number(req.headers['content-length'] ?? 0) > limits.maxBodyBytes) return refuseBody(res, tr, json, tr.decision.mode, TOO_LARGE);
    const b = await readBody(res, req, tr, limits, json, expectContinue);
    if (b === null) return;
    body = bodyToForward(req, b, limits.maxBodyBytes);
  }
  const headers = upstreamHeaders(req.rawHeaders, {
    clientIp: tr.clientIp, proto: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http', host: req.headers.host,
    appendXff: !snap.trusted.empty && snap.trusted.has(req.socket.remoteAddress ?? ''),
  });
  const t = process.hrtime.bigint();
  // Recorded when the upstream's head arrives: the verdict event is written when the response
  // closes, which can be before the forward's promise settles.
  const out: ForwardOutcome = await ctx.upstream.forward(req, res, headers, body, (status) => {
    tr.upstreamStatus = status;
    tr.upstreamMs = Number(process.hrtime.bigint() - t) / 1e6;
  });
  if (out.kind === 'ok') return;
  // 408 and 413 are the client's doing (stalled or oversized upload), and so is a client that left:
  // none of them is an upstream failure.
  if (out.status !== 408 && out.status !== 413 && out.clientGone !== true) ctx.metrics.inc('jirachi_upstream_errors_total', { kind: out.status === 504 ? 'timeout' : 'unavailable' });
  if (out.responded) return;
  const page = ERROR_PAGES[out.status];
  respondError(res, { status: out.status, id: tr.id, json, code: page.code, title: page.title, text: page.text, close: out.status === 413 || out.status === 408 });
}


const ERROR_PAGES: Record<408 | 413 | 502 | 504, { code: string; title: string; text: string }> = {
  408: { code: 'request_timeout', title: 'Request timeout', text: 'The request body stopped arriving.' },
  413: { code: 'too_large', title: 'Request too large', text: 'The request body is over the size limit.' },
  502: { code: 'upstream', title: 'Bad gateway', text: 'The service is unavailable.' },
  504: { code: 'upstream', title: 'Gateway timeout', text: 'The service did not answer in time.' },
};

function wantsJson(req: ShieldRequest): boolean {
  const a = req.headers.accept;
  return a !== undefined && a.includes('application/json') && !a.includes('text/html');
}
