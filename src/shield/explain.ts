// Explain: runs one request (JSON or raw HTTP text) through the pipeline's decisions and reports
// every step. Pure apart from the engine it is given.

import { err, headerValue, ok, makeRequestView, type Decision, type Finding, type RequestView, type Result } from '../core/index.js';
import { decide, matchRouteWithOverride } from '../policy/index.js';
import type { BanStore } from '../decisions/index.js';
import { bodyHeadCheck, bodyPrefixCheck, isRefusal, TOO_LARGE, type BodyRefusal } from './body-stage.js';
import type { ShieldSnapshot } from './context.js';
import { checkFraming } from './framing.js';
import { methodOverrides } from './method-override.js';

/** One step of the trace. */
export interface TraceStep { readonly stage: string; readonly outcome: string }

/** The whole trace of one request. */
export interface Explanation {
  readonly request: { method: string; path: string; query: string; clientIp: string };
  readonly steps: TraceStep[];
  readonly route: string;
  readonly findings: readonly Finding[];
  readonly decision: Decision;
}

function fromRaw(text: string): Result<RequestView, string> {
  const sep = text.search(/\r?\n\r?\n/);
  const head = sep < 0 ? text : text.slice(0, sep);
  let body = sep < 0 ? '' : text.slice(sep).replace(/^\r?\n\r?\n/, '');
  const lines = head.split(/\r?\n/);
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
  if (!m) return err('raw HTTP: first line must be "METHOD /target HTTP/1.1"');
  const headers: Array<[string, string]> = [];
  for (const [i, l] of lines.slice(1).entries()) {
    const c = l.indexOf(':');
    if (c <= 0) return err(`raw HTTP: header line ${i + 2} has no name: ${JSON.stringify(l.slice(0, 40))}`);
    headers.push([l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim()]);
  }
  // The body is what the framing says, as on a live connection: chunked, or Content-Length bytes
  // (later bytes would be the next request). A hand-written request without either gets the
  // Content-Length of its body, as curl would send it.
  const cl = headers.find(([n]) => n === 'content-length')?.[1];
  if (headers.some(([n, v]) => n === 'transfer-encoding' && v.toLowerCase() === 'chunked')) body = dechunk(body);
  else if (cl !== undefined) body = /^\d+$/.test(cl) ? Buffer.from(body, 'utf8').subarray(0, Number(cl)).toString('utf8') : '';
  else if (body !== '') headers.push(['content-length', String(Buffer.byteLength(body, 'utf8'))]);
  const target = m[2]!;
  const q = target.indexOf('?');
  return ok(makeRequestView({ method: m[1]!, path: q < 0 ? target : target.slice(0, q), query: q < 0 ? '' : target.slice(q + 1), headers, body }));
}

function dechunk(s: string): string {
  let out = '', i = 0;
  while (i < s.length) {
    const nl = s.indexOf('\n', i);
    if (nl < 0) break;
    const size = parseInt(s.slice(i, nl).split(';')[0]!.trim(), 16);
    if (!(size > 0)) break;
    out += s.slice(nl + 1, nl + 1 + size);
    i = nl + 1 + size + (s[nl + 1 + size] === '\r' ? 2 : 1);
  }
  return out;
}

/**
 * Parses a request given as JSON (`{method, path, query, headers, body}` as in the corpus format,
 * or `{url}`) or as raw HTTP/1.1 text. Never throws; errors say what is wrong.
 */
export function parseExplainInput(text: string): Result<RequestView, string> {
  const t = text.trimStart();
  if (!t.startsWith('{')) return fromRaw(t);
  let j: Record<string, unknown>;
  try { j = JSON.parse(t) as Record<string, unknown>; } catch (e) { return err(`JSON: ${(e as Error).message}`); }
  const str = (k: string): string | undefined => (typeof j[k] === 'string' ? (j[k] as string) : undefined);
  let path = str('path') ?? '/', query = str('query') ?? '';
  const url = str('url');
  if (url !== undefined) {
    const q = url.indexOf('?');
    path = q < 0 ? url : url.slice(0, q); query = q < 0 ? '' : url.slice(q + 1);
    if (!path.startsWith('/')) { try { const u = new URL(url); path = u.pathname; query = u.search.slice(1); } catch { return err('url: not a path or URL'); } }
  }
  const h = j['headers'];
  if (h !== undefined && (typeof h !== 'object' || h === null)) return err('headers: expected an object or [name, value] pairs');
  return ok(makeRequestView({ method: str('method') ?? 'GET', path, query, body: str('body') ?? '', clientIp: str('clientIp') ?? '198.18.0.1', headers: (h ?? {}) as Record<string, string> }));
}

/** Traces a request through framing, allowlist, bans, route, inspection and policy. Never throws. */
export function explainRequest(view: RequestView, snap: ShieldSnapshot, bans: BanStore | null): Explanation {
  const steps: TraceStep[] = [];
  const raw = view.headers.flatMap(([n, v]) => [n, v]);
  const url = view.query ? `${view.path}?${view.query}` : view.path;
  const bad = checkFraming('1.1', url, raw);
  steps.push({ stage: 'framing', outcome: bad ? `refused ${bad.status}: ${bad.message}` : 'ok' });
  const allow = snap.allowlist.has(view.clientIp);
  steps.push({ stage: 'allowlist', outcome: allow ? `${view.clientIp} is allowlisted: forwarded without checks` : `${view.clientIp} not allowlisted` });
  const ban = allow ? undefined : bans?.match(view.clientIp);
  steps.push({ stage: 'bans', outcome: ban ? `banned (${ban.target}: ${ban.reason}) → 403` : 'not banned' });
  steps.push({ stage: 'rate-limit', outcome: snap.config.rateLimit.enabled ? `${snap.config.rateLimit.ratePerSec}/s burst ${snap.config.rateLimit.burst} per IP (not applied to a single explained request)` : 'disabled' });
  const overrides = methodOverrides(view.method, view.headers.flat(), view.query, { type: headerValue(view, 'content-type'), encoding: headerValue(view, 'content-encoding'), text: view.body, complete: !view.bodyTruncated });
  const route = matchRouteWithOverride(snap.policy, view.method, overrides, view.path);
  steps.push({ stage: 'route', outcome: `${route.name} (prefix ${route.prefix}, mode ${route.mode}, threshold ${route.threshold}${route.exclusions.length ? `, ${route.exclusions.length} exclusions` : ''}${overrides.length ? `; method overrides ${overrides.join(', ')}: the strictest of those methods' routes` : ''})` });
  const body = explainBody(view, snap, steps, !allow && route.mode !== 'off');
  const refused = body !== null && isRefusal(body) ? body : null;
  let findings: Finding[] = [];
  if (!bad && !allow && !ban && route.mode !== 'off' && !refused) {
    const inspectedView = body === null || isRefusal(body) ? view : { ...view, body: body.text, bodyTruncated: body.truncated };
    const t = process.hrtime.bigint();
    findings = snap.engine.inspect(inspectedView, { maxFindings: 32 });
    steps.push({ stage: 'inspect', outcome: `${findings.length} finding(s) in ${(Number(process.hrtime.bigint() - t) / 1000).toFixed(0)} µs` });
  }
  const decision: Decision = bad ? { verdict: 'BLOCK', mode: route.mode, wouldBlock: true, score: 0, findings: [], reason: `protocol:${bad.code}` }
    : ban ? { verdict: 'BLOCK', mode: route.mode, wouldBlock: true, score: 0, findings: [], reason: 'banned' }
    : refused ? { verdict: 'BLOCK', mode: route.mode, wouldBlock: true, score: 0, findings: [], reason: refused.reason }
    : allow ? { verdict: 'ALLOW', mode: route.mode, wouldBlock: false, score: 0, findings: [], reason: 'allowlisted' }
    : decide(findings, route);
  steps.push({ stage: 'decide', outcome: `score ${decision.score} vs threshold ${route.threshold} → ${decision.verdict}${decision.mode === 'detect' && decision.wouldBlock ? ' (detect mode: would block)' : ''} (${decision.reason})` });
  return { request: { method: view.method, path: view.path, query: view.query, clientIp: view.clientIp }, steps, route: route.name, findings, decision };
}

/**
 * The body stage of the live pipeline on an explained request (the same pure checks: size, encoding,
 * multipart transfer encodings, the inspection limit and its policy, what is inspected). Null when
 * the request has no body. A JSON input's body counts as sent with its own length.
 */
function explainBody(view: RequestView, snap: ShieldSnapshot, steps: TraceStep[], inspected: boolean): BodyRefusal | { text: string; truncated: boolean; inspected: boolean } | null {
  const header = (n: string): string | undefined => view.headers.find(([k]) => k === n)?.[1];
  const bytes = Buffer.from(view.body, 'utf8');
  const declared = Number(header('content-length') ?? bytes.length);
  const hasBody = header('transfer-encoding') !== undefined || declared > 0;
  if (!hasBody) return null;
  const limits = snap.config.limits;
  // Uninspected (allowlisted client, route in mode off): only the size limit applies, as live.
  if (!inspected) {
    if (declared <= limits.maxBodyBytes) return null;
    steps.push({ stage: 'body', outcome: `refused ${TOO_LARGE.status}: ${TOO_LARGE.message}` });
    return TOO_LARGE;
  }
  const head = bodyHeadCheck(limits, view.headers.flatMap(([n, v]) => [n, v]), declared, hasBody);
  if (head) { steps.push({ stage: 'body', outcome: `refused ${head.status}: ${head.message}` }); return head; }
  const r = bodyPrefixCheck(limits, header('content-type'), bytes, bytes.length <= limits.inspectBodyBytes);
  if (isRefusal(r)) steps.push({ stage: 'body', outcome: `refused ${r.status}: ${r.message}` });
  else if (!r.inspected) steps.push({ stage: 'body', outcome: `body of type ${header('content-type') ?? '(none)'} is not inspected (binary)` });
  else if (r.truncated) steps.push({ stage: 'body', outcome: `only the first ${limits.inspectBodyBytes} bytes are inspected (overInspectLimit: inspect-prefix)` });
  return r;
}
