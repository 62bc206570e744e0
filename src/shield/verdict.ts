// One request's trace and its verdict record: metrics, the decision-log line, the verdict event.

import type { IncomingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Decision, Mode } from '../core/index.js';
import { isoNow, publishVerdict, type VerdictEvent } from '../telemetry/index.js';
import type { ShieldContext } from './context.js';
import { loggableExcerpt, requestSample } from './redact.js';

/** What the pipeline learned about one request, for its verdict event. */
export interface Trace {
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

/** A decision that lets the request through with no findings. */
export const CLEAN = (mode: Mode, reason: string): Decision => ({ verdict: 'ALLOW', mode, wouldBlock: false, score: 0, findings: [], reason });

/** A fresh trace for a request target (`/path?query`), decided clean until a stage says otherwise. */
export function newTrace(url: string, mode: Mode): Trace {
  const q = url.indexOf('?');
  return {
    id: randomUUID(), t0: process.hrtime.bigint(), clientIp: '', route: 'default', decision: CLEAN(mode, 'clean'),
    inspectUs: 0, upstreamMs: null, upstreamStatus: null, bodyText: '',
    path: q < 0 ? url : url.slice(0, q), query: q < 0 ? '' : url.slice(q + 1),
  };
}

/** The request facts a verdict record needs besides the trace. */
export interface Answered {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** Status sent to the client; 0 when none was sent (the client left first). */
  readonly status: number;
}

/** Counts the request in the metrics and writes its decision-log line and verdict event. Never throws. */
export function recordVerdict(ctx: ShieldContext, tr: Trace, a: Answered): void {
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
  const ev: VerdictEvent = {
    time: isoNow(), requestId: tr.id, clientIp: tr.clientIp, method: a.method, host: String(a.headers.host ?? ''),
    route: tr.route, verdict: d.verdict, mode: d.mode, wouldBlock: d.wouldBlock, score: d.score, reason: d.reason,
    findings: d.findings.map((f) => ({ detector: f.detector, rule: f.rule, class: f.class, score: f.score, part: f.part, ...(f.param !== undefined ? { param: f.param } : {}), excerpt: loggableExcerpt(f.part, f.param, f.excerpt) })),
    status: a.status, upstreamStatus: tr.upstreamStatus,
    durations: { inspectUs: Math.round(tr.inspectUs), upstreamMs: tr.upstreamMs === null ? null : Math.round(tr.upstreamMs * 1000) / 1000, totalMs: Math.round(totalMs * 1000) / 1000 },
    request: requestSample(tr.path, tr.query, a.headers, tr.bodyText),
  };
  ctx.log?.write(ev);
  publishVerdict(ev);
}

/**
 * The decision when the engine failed on a request: under `failMode: closed` a block route blocks
 * and a detect route only records that it would have (detect mode never blocks); under `open` the
 * request passes. Either way the reason starts with `engine-error`, which never counts towards an
 * automatic ban (an engine fault is not the client's doing).
 */
export function engineErrorDecision(failMode: 'open' | 'closed', mode: Mode): Decision {
  if (failMode === 'open') return CLEAN(mode, 'engine-error:fail-open');
  return { verdict: mode === 'block' ? 'BLOCK' : 'ALLOW', mode, wouldBlock: true, score: 0, findings: [], reason: 'engine-error:fail-closed' };
}

/** True for decisions caused by an engine fault (never counted towards automatic bans). */
export const isEngineError = (d: Decision): boolean => d.reason.startsWith('engine-error');
