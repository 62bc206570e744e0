// Request samples for the decision log: selected headers and a body prefix with secrets redacted.

import type { RequestSample } from '../telemetry/index.js';

const LOGGED_HEADERS = ['host', 'user-agent', 'content-type', 'content-length', 'referer', 'accept', 'origin', 'x-requested-with'];
const SECRET_PARAM = /((?:^|[&?;\s"'{,])(?:[\w.%\[\]-]*?(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|auth[\w-]*|session[\w-]*|credit[\w-]*|card[\w-]*|cvv|ssn|otp)[\w.%\[\]-]*)(?:"\s*:\s*"|=))([^&"\s;]{0,512})/gi;
const BODY_SAMPLE = 4096;

/** Replaces the values of secret-looking parameters (form, query, JSON) with `[redacted]`. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_PARAM, (_m, key: string) => `${key}[redacted]`);
}

/**
 * A log-safe sample of a request: headers from a fixed list (never Authorization or Cookie),
 * the query and at most 4 KiB of body with secret-looking values redacted.
 */
export function requestSample(path: string, query: string, headers: Record<string, string | string[] | undefined>, body: string): RequestSample {
  const h: Record<string, string> = {};
  for (const name of LOGGED_HEADERS) {
    const v = headers[name];
    if (v !== undefined) h[name] = (Array.isArray(v) ? v.join(', ') : v).slice(0, 512);
  }
  if (headers['cookie'] !== undefined) h['cookie'] = '[redacted]';
  if (headers['authorization'] !== undefined) h['authorization'] = '[redacted]';
  return { path: path.slice(0, 2048), query: redactSecrets(query.slice(0, 4096)), headers: h, body: redactSecrets(body.slice(0, BODY_SAMPLE)) };
}

const SECRET_NAME = /pass(?:word|wd)?|pwd|secret|token|api[_-]?key|auth|session|credit|card|cvv|ssn|otp/i;

/**
 * The excerpt of a finding as it may be logged: `[redacted]` when the finding sits in a cookie, an
 * Authorization header or a secret-looking parameter; otherwise secret-looking values inside it are
 * redacted.
 */
export function loggableExcerpt(part: string, param: string | undefined, excerpt: string): string {
  if (part.startsWith('cookie') || part === 'header:authorization' || part === 'header:cookie' || (param !== undefined && SECRET_NAME.test(param))) return '[redacted]';
  return redactSecrets(excerpt);
}
