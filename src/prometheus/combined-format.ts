// nginx and Apache access logs (combined and common formats) as LogFormats. Access logs carry no verdict: rows are unlabeled.

import { err, ok, type Result } from '../core/index.js';
import type { BadLine, LogRecord } from './record.js';
import { registerLogFormat } from './format.js';

// Quoted fields use disjoint alternatives ([^"\\] | \\.), so matching is linear in the line length.
const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"';
const LINE = new RegExp(
  `^(\\S+) (\\S+) (\\S+) \\[([^\\]]{1,64})\\] ${QUOTED} (\\d{3}|-) (\\d+|-)(?: ${QUOTED} ${QUOTED})?`,
);
const METHOD = /^[A-Za-z]{1,16}$/;

/** Undoes the escapes nginx (`\xHH`) and Apache (`\"`, `\\`, `\xhh`) write in quoted fields. Never throws. */
export function unescapeLogField(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c && i + 1 < s.length) {
      const n = s[i + 1];
      if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
        bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
        i += 3;
        continue;
      }
      if (n === '"' || n === '\\') { bytes.push(n.charCodeAt(0)); i += 1; continue; }
      if (n === 'n') { bytes.push(10); i += 1; continue; }
      if (n === 't') { bytes.push(9); i += 1; continue; }
    }
    for (const b of Buffer.from(s[i] ?? '', 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Splits a request line `METHOD target PROTO` into method, path and query; undefined if malformed. */
export function splitRequestLine(r: string): { method: string; path: string; query: string } | undefined {
  const parts = r.split(' ');
  if (parts.length < 2 || parts.length > 3) return undefined;
  const [method, target] = parts as [string, string];
  if (!METHOD.test(method) || target.length === 0) return undefined;
  if (parts.length === 3 && !/^HTTP\/\d(\.\d)?$/.test(parts[2] ?? '')) return undefined;
  const q = target.indexOf('?');
  return q < 0
    ? { method: method.toUpperCase(), path: target, query: '' }
    : { method: method.toUpperCase(), path: target.slice(0, q), query: target.slice(q + 1) };
}

/** Parses one combined/common log line. `format` names the record's origin. Pure; never throws. */
export function parseCombinedLine(line: string, format: string): Result<LogRecord, BadLine> {
  const m = LINE.exec(line);
  if (m === null) return err({ reason: 'no-match', detail: 'not a combined/common log line' });
  const req = splitRequestLine(unescapeLogField(m[5] ?? ''));
  if (req === undefined) return err({ reason: 'bad-request-line', detail: 'request line' });
  const statusText = m[6] ?? '-';
  const status = statusText === '-' ? 0 : Number(statusText);
  if (status !== 0 && (status < 100 || status > 599)) return err({ reason: 'bad-status', detail: 'status' });
  const headers: Array<readonly [string, string]> = [];
  const referer = m[8] === undefined ? '-' : unescapeLogField(m[8]);
  const ua = m[9] === undefined ? '-' : unescapeLogField(m[9]);
  if (referer !== '-') headers.push(['referer', referer]);
  if (ua !== '-') headers.push(['user-agent', ua]);
  return ok({
    time: m[4] ?? '',
    format,
    clientIp: m[1] ?? '',
    method: req.method,
    path: req.path,
    query: req.query,
    headers,
    body: '',
    status,
    label: null,
    labelOrigin: 'none',
  });
}

registerLogFormat({
  name: 'nginx',
  description: 'nginx access log, combined (default) format; unlabeled rows',
  parse: (line) => parseCombinedLine(line, 'nginx'),
});
registerLogFormat({
  name: 'apache',
  description: 'Apache access log, combined or common format; unlabeled rows',
  parse: (line) => parseCombinedLine(line, 'apache'),
});
