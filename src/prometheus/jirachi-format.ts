// The Shield's JSONL decision log as a LogFormat: one JSON object per request.

import { err, ok, type Result } from '../core/index.js';
import type { BadLine, Label, LabelOrigin, LogRecord } from './record.js';
import { registerLogFormat } from './format.js';

type Obj = Record<string, unknown>;

function str(o: Obj, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

function headersOf(o: Obj): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  const h = o['headers'];
  if (h && typeof h === 'object' && !Array.isArray(h)) {
    for (const [n, v] of Object.entries(h as Obj)) if (typeof v === 'string') out.push([n.toLowerCase(), v]);
  }
  const ua = str(o, 'userAgent', 'user_agent');
  if (ua !== undefined && !out.some(([n]) => n === 'user-agent')) out.push(['user-agent', ua]);
  return out;
}

/** Analyst feedback: `feedback: {label}` or `feedback: 'attack'|'benign'|'false-positive'|'true-positive'`. */
function feedbackLabel(o: Obj): Label | undefined {
  const f = o['feedback'];
  const v = typeof f === 'string' ? f : f && typeof f === 'object' ? (f as Obj)['label'] : undefined;
  if (v === 'attack' || v === 'true-positive' || v === 'malicious') return 1;
  if (v === 'benign' || v === 'false-positive') return 0;
  return undefined;
}

function isDecoyCapture(o: Obj, verdict: string): boolean {
  if (verdict === 'DECEIVE') return true;
  const d = o['decoy'] ?? o['siren'];
  return d === true || (d !== null && typeof d === 'object');
}

/**
 * Labels a decision-log object. Precedence: analyst feedback, then decoy capture (DECEIVE or a
 * siren capture), then the verdict (BLOCK or detect-mode wouldBlock → attack; ALLOW → benign).
 * RATE_LIMIT and unknown verdicts stay unlabeled. Pure.
 */
export function labelDecision(o: Obj): { label: Label; origin: LabelOrigin } {
  const fb = feedbackLabel(o);
  if (fb !== undefined) return { label: fb, origin: 'feedback' };
  const verdict = (str(o, 'verdict') ?? '').toUpperCase();
  if (isDecoyCapture(o, verdict)) return { label: 1, origin: 'decoy' };
  if (verdict === 'BLOCK' || o['wouldBlock'] === true) return { label: 1, origin: 'verdict' };
  if (verdict === 'ALLOW') return { label: 0, origin: 'verdict' };
  return { label: null, origin: 'none' };
}

/** Splits `path?query` when the log carries a combined target. */
function splitTarget(o: Obj): { path: string; query: string } | undefined {
  const path = str(o, 'path', 'url', 'target', 'route');
  if (path === undefined) return undefined;
  const q = str(o, 'query');
  const i = path.indexOf('?');
  if (i >= 0) return { path: path.slice(0, i), query: q ?? path.slice(i + 1) };
  return { path, query: q ?? '' };
}

/** Parses one decision-log line. Pure; never throws. */
export function parseJirachiLine(line: string): Result<LogRecord, BadLine> {
  let v: unknown;
  try { v = JSON.parse(line); } catch { return err({ reason: 'not-json', detail: 'invalid JSON' }); }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return err({ reason: 'not-object', detail: 'not an object' });
  let o = v as Obj;
  if (o['kind'] === 'protocol-error') return err({ reason: 'not-request', detail: 'protocol-error event' });
  // The shield logs a redacted request sample under `request`; its fields take precedence.
  const sample = o['request'];
  if (sample !== null && typeof sample === 'object' && !Array.isArray(sample)) o = { ...o, ...(sample as Obj) };
  const method = str(o, 'method');
  if (method === undefined) return err({ reason: 'missing-field', detail: 'method' });
  if (!/^[A-Za-z]{1,16}$/.test(method)) return err({ reason: 'bad-field', detail: 'method' });
  const target = splitTarget(o);
  if (target === undefined) return err({ reason: 'missing-field', detail: 'path' });
  const statusRaw = typeof o['status'] === 'number' ? o['status'] : o['upstreamStatus'];
  const status = typeof statusRaw === 'number' && Number.isInteger(statusRaw) ? statusRaw : 0;
  const { label, origin } = labelDecision(o);
  return ok({
    time: str(o, 'time', 'ts', 'timestamp') ?? '',
    format: 'jirachi',
    clientIp: str(o, 'clientIp', 'client_ip', 'ip') ?? '',
    method: method.toUpperCase(),
    path: target.path,
    query: target.query,
    headers: headersOf(o),
    body: str(o, 'body') ?? '',
    status,
    label,
    labelOrigin: origin,
  });
}

registerLogFormat({
  name: 'jirachi',
  description: "Jirachi Shield decision log (JSONL): verdict, findings, feedback and decoy captures give the label",
  parse: parseJirachiLine,
});
