// The request pipeline: framing → client IP → allowlist → bans → rate limit → route → inspect →
// decide → forward / block / deceive, then one verdict event.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Decision, Finding } from '../core/index.js';
import { headerPairs, type RequestView } from '../core/index.js';
import { decide, matchRoute, type RoutePolicy } from '../policy/index.js';
import { isoNow, publishProtocolError, publishVerdict, type VerdictEvent } from '../telemetry/index.js';
import { bodyEncodingError, continueBody, isInspectableType, readBodyPrefix } from './body.js';
import { rateKey, resolveClientIp } from './client-ip.js';
import type { ShieldContext } from './context.js';
import type { ForwardOutcome } from './forward.js';
import { applyAutoBan } from './auto-ban.js';
import { checkFraming } from './framing.js';
import { upstreamHeaders } from './headers.js';
import { loggableExcerpt, requestSample } from './redact.js';
import { respondBlocked, respondDecoy, respondError } from './respond.js';
import { InspectBatcher } from './inspect-batch.js';

/** Inspections of requests that become ready in one event-loop turn run back to back (engine stays cache-warm). */
const batcher = new InspectBatcher(32);

/** What the pipeline learned about one request, for its verdict event. */
interface Trace {
  readonly id: string;
  readonly t0: bigint;
  clientIp: string;
  route: string;
  decision: Decision;
  inspectUs: number;
  upstreamMs: number | null;
  upstreamStatus: number | null;
  bodyText: string;
  /** The request target split once, for routing, inspection and the verdict event. */
  readonly path: string;
  readonly query: string;
}

const CLEAN = (mode: Decision['mode'], reason: string): Decision => ({ verdict: 'ALLOW', mode, wouldBlock: false, score: 0, findings: [], reason });

function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

/**
 * Handles one request end to end. Never throws; every exit publishes one verdict event and
 * answers the client (or destroys the socket if the response had already started).
 */
export async function handleRequest(ctx: ShieldContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const snap = ctx.snapshot;
  const id = randomUUID();
  const tr: Trace = { id, t0: process.hrtime.bigint(), clientIp: '', route: 'default', decision: CLEAN(snap.config.mode, 'clean'), inspectUs: 0, upstreamMs: null, upstreamStatus: null, bodyText: '', ...splitUrl(req.url ?? '/') };
  ctx.inFlight++;
  res.once('close', () => { ctx.inFlight--; finish(ctx, req, res, tr); });
  try {
    await pipeline(ctx, req, res, tr);
  } catch (e) {
    ctx.say(`internal error on request ${id}: ${(e as Error).message}`);
    tr.decision = { ...tr.decision, reason: 'internal-error' };
    respondError(res, { status: 500, id, json: true, code: 'internal', title: 'Internal error', text: 'The shield failed on this request.' });
  }
}

async function pipeline(ctx: ShieldContext, req: IncomingMessage, res: ServerResponse, tr: Trace): Promise<void> {
  const snap = ctx.snapshot;
  const cfg = snap.config;
  const url = req.url ?? '/';
  tr.clientIp = resolveClientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'] as string | undefined, snap.trusted);
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
      respondBlocked(res, tr.id, wantsJson(req), 'banned');
      return;
    }
    if (cfg.rateLimit.enabled) {
      const r = ctx.rateLimiter.take(rateKey(tr.clientIp), Date.now());
      if (!r.allowed) {
        tr.decision = { ...CLEAN(cfg.mode, 'rate-limited'), verdict: 'RATE_LIMIT' };
        respondError(res, { status: 429, id: tr.id, json: wantsJson(req), code: 'rate_limited', title: 'Too many requests', text: 'Slow down and retry later.', retryAfterS: r.retryAfterS });
        return;
      }
    }
  }
  const { path, query } = tr;
  const route = matchRoute(snap.policy, req.method ?? 'GET', path);
  tr.route = route.name;
  if (allowlisted || route.mode === 'off') {
    tr.decision = CLEAN(route.mode, allowlisted ? 'allowlisted' : 'mode-off');
    await forwardAndRecord(ctx, req, res, tr, null, false);
    return;
  }
  await inspectAndAct(ctx, req, res, tr, route, path, query);
}

async function inspectAndAct(ctx: ShieldContext, req: IncomingMessage, res: ServerResponse, tr: Trace, route: RoutePolicy, path: string, query: string): Promise<void> {
  const cfg = ctx.snapshot.config;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > cfg.limits.maxBodyBytes) return tooLarge(res, tr, route.api, cfg.mode);
  const hasBody = req.headers['transfer-encoding'] !== undefined || declared > 0;
  const encodingError = hasBody ? bodyEncodingError(req.rawHeaders) : null;
  if (encodingError) {
    tr.decision = { ...CLEAN(cfg.mode, `protocol:${encodingError.code}`), verdict: 'BLOCK' };
    publishProtocolError({ time: isoNow(), clientIp: tr.clientIp, code: encodingError.code, status: encodingError.status, message: encodingError.message });
    respondError(res, { status: encodingError.status, id: tr.id, json: route.api, code: encodingError.code, title: 'Unsupported request body', text: encodingError.message, close: true });
    return;
  }
  const inspectBody = hasBody && isInspectableType(req.headers['content-type']);
  let prefix: Buffer = Buffer.alloc(0);
  let complete = !hasBody;
  if (hasBody) {
    const limit = inspectBody ? cfg.limits.inspectBodyBytes : 0;
    const b = await readBodyPrefix(req, limit, cfg.limits.maxBodyBytes);
    if (b.failed) { tr.decision = { ...CLEAN(cfg.mode, 'protocol:body'), verdict: 'BLOCK' }; res.destroy(); return; }
    if (b.tooLarge) return tooLarge(res, tr, route.api, cfg.mode);
    if (!b.complete && inspectBody && cfg.limits.overInspectLimit === 'reject') return tooLarge(res, tr, route.api, cfg.mode);
    prefix = b.prefix; complete = b.complete;
  }
  const bodyText = inspectBody ? prefix.toString('utf8', 0, Math.min(prefix.length, cfg.limits.inspectBodyBytes)) : '';
  tr.bodyText = bodyText;
  const view: RequestView = { method: req.method ?? 'GET', path, query, headers: headerPairs(req.rawHeaders), body: bodyText, bodyTruncated: !complete, clientIp: tr.clientIp };
  const o = await batcher.inspect(ctx.snapshot.engine, view);
  let findings: Finding[] = [];
  if (o.ok) findings = o.findings;
  else {
    ctx.say(`detection failed on request ${tr.id}: ${o.error.message}`);
    tr.decision = cfg.failMode === 'closed'
      ? { verdict: 'BLOCK', mode: route.mode, wouldBlock: true, score: 0, findings: [], reason: 'engine-error:fail-closed' }
      : CLEAN(route.mode, 'engine-error:fail-open');
  }
  tr.inspectUs = o.us;
  if (!tr.decision.reason.startsWith('engine-error')) tr.decision = decide(findings, route);
  const d = tr.decision;
  if (d.verdict === 'BLOCK' || d.verdict === 'DECEIVE') {
    req.resume();
    countForAutoBan(ctx, tr.clientIp);
    if (d.verdict === 'DECEIVE') respondDecoy(res, route.api);
    else respondBlocked(res, tr.id, route.api, 'attack');
    return;
  }
  const body = !hasBody ? null : complete ? prefix : continueBody(req, prefix, cfg.limits.maxBodyBytes);
  await forwardAndRecord(ctx, req, res, tr, body, route.api);
}

function tooLarge(res: ServerResponse, tr: Trace, json: boolean, mode: Decision['mode']): void {
  tr.decision = { ...CLEAN(mode, 'body-too-large'), verdict: 'BLOCK' };
  respondError(res, { status: 413, id: tr.id, json, code: 'too_large', title: 'Request too large', text: 'The request body is over the size limit.', close: true });
}

/** Counts a blocked request towards its source's automatic ban (here, or at the cluster primary). */
export function countForAutoBan(ctx: ShieldContext, ip: string): void {
  const auto = ctx.snapshot.config.bans.auto;
  if (!auto.enabled) return;
  if (ctx.reportBlocked) { ctx.reportBlocked(ip); return; }
  applyAutoBan(ip, ctx.autoBan, ctx.bans, auto, ctx.metrics, ctx.say);
}

async function forwardAndRecord(ctx: ShieldContext, req: IncomingMessage, res: ServerResponse, tr: Trace, body: Buffer | import('node:stream').Readable | null, json: boolean): Promise<void> {
  if (body === null && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0)) {
    // Uninspected route or allowlisted client: a body that fits the inspection limit is forwarded as
    // one buffer (cheaper for undici than a stream); a longer one is streamed behind its prefix.
    const limits = ctx.snapshot.config.limits;
    if (Number(req.headers['content-length'] ?? 0) > limits.maxBodyBytes) return tooLarge(res, tr, json, tr.decision.mode);
    const b = await readBodyPrefix(req, limits.inspectBodyBytes, limits.maxBodyBytes);
    if (b.failed) { res.destroy(); return; }
    if (b.tooLarge) return tooLarge(res, tr, json, tr.decision.mode);
    body = b.complete ? b.prefix : continueBody(req, b.prefix, limits.maxBodyBytes);
  }
  const headers = upstreamHeaders(req.rawHeaders, {
    clientIp: tr.clientIp, proto: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http', host: req.headers.host,
    appendXff: !ctx.snapshot.trusted.empty && ctx.snapshot.trusted.has(req.socket.remoteAddress ?? ''),
  });
  const t = process.hrtime.bigint();
  // Recorded when the upstream's head arrives: the verdict event is written when the response
  // closes, which can be before the forward's promise settles.
  const out: ForwardOutcome = await ctx.upstream.forward(req, res, headers, body, (status) => {
    tr.upstreamStatus = status;
    tr.upstreamMs = Number(process.hrtime.bigint() - t) / 1e6;
  });
  if (out.kind === 'ok') return;
  // 408 and 413 are the client's doing (stalled or oversized upload), not upstream failures.
  if (out.status !== 408 && out.status !== 413) ctx.metrics.inc('jirachi_upstream_errors_total', { kind: out.status === 504 ? 'timeout' : 'unavailable' });
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

function wantsJson(req: IncomingMessage): boolean {
  const a = req.headers.accept;
  return a !== undefined && a.includes('application/json') && !a.includes('text/html');
}

function finish(ctx: ShieldContext, req: IncomingMessage, res: ServerResponse, tr: Trace): void {
  const d = tr.decision;
  const totalMs = Number(process.hrtime.bigint() - tr.t0) / 1e6;
  const m = ctx.metrics;
  m.inc('jirachi_requests_total', { verdict: d.verdict, mode: d.mode, route: tr.route });
  if (d.wouldBlock && d.mode === 'detect') m.inc('jirachi_would_block_total', { route: tr.route });
  for (const f of d.findings) m.inc('jirachi_findings_total', { class: f.class, detector: f.detector });
  m.observe('jirachi_request_duration_seconds', { verdict: d.verdict }, totalMs / 1000);
  if (tr.inspectUs > 0) m.observe('jirachi_inspect_duration_seconds', {}, tr.inspectUs / 1e6);
  if (tr.upstreamMs !== null) m.observe('jirachi_upstream_duration_seconds', {}, tr.upstreamMs / 1000);
  if (ctx.log === null && !d.findings.length) return;
  const { path, query } = tr;
  const ev: VerdictEvent = {
    time: isoNow(), requestId: tr.id, clientIp: tr.clientIp, method: req.method ?? '', host: String(req.headers.host ?? ''),
    route: tr.route, verdict: d.verdict, mode: d.mode, wouldBlock: d.wouldBlock, score: d.score, reason: d.reason,
    findings: d.findings.map((f) => ({ detector: f.detector, rule: f.rule, class: f.class, score: f.score, part: f.part, ...(f.param !== undefined ? { param: f.param } : {}), excerpt: loggableExcerpt(f.part, f.param, f.excerpt) })),
    status: res.statusCode, upstreamStatus: tr.upstreamStatus,
    durations: { inspectUs: Math.round(tr.inspectUs), upstreamMs: tr.upstreamMs === null ? null : Math.round(tr.upstreamMs * 1000) / 1000, totalMs: Math.round(totalMs * 1000) / 1000 },
    request: requestSample(path, query, req.headers, tr.bodyText),
  };
  ctx.log?.write(ev);
  publishVerdict(ev);
}
