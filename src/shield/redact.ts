// Request samples for the decision log: selected headers and a body prefix with secrets redacted.
//
// Redaction works on structure where the shield knows it (query and form pairs, JSON keys at any
// depth, URL query and fragment of the Referer) and falls back to `name=value` / `"name": value` /
// `<name>value<` shapes in free text. A secret value is replaced whole, whatever its length or
// type; multipart bodies are not logged at all. Samples are cut to size only after redaction.

import type { RequestSample } from '../telemetry/index.js';

const LOGGED_HEADERS = ['host', 'user-agent', 'content-type', 'content-length', 'referer', 'accept', 'origin', 'x-requested-with'];
const BODY_SAMPLE = 4096;
const QUERY_SAMPLE = 4096;
/** Body text redacted at most (longer bodies: their first 16 KiB; only 4 KiB is logged). */
const REDACT_INPUT = 16_384;
const REDACTED = '[redacted]';

const SECRET_SUBSTRING = /pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|auth|session|credit|card|cvv|cvc|ssn|otp|private|credential|signature|bearer|jwt|cookie|csrf|xsrf|nonce/;
/** Short names that are secrets only as a whole word of the name (`key`, `sort_key`, `sig`, but not `design`). */
const SECRET_WORDS = new Set(['key', 'code', 'sig', 'pin', 'sid', 'pw', 'mfa', 'tan', 'hmac', 'salt', 'iban', 'pan']);

/** Names seen recently and their verdicts (the same few names come with every request). Bounded. */
const nameMemo = new Map<string, boolean>();

/** True when a parameter, JSON key, XML element or header name looks like it carries a secret. */
export function isSecretName(name: string): boolean {
  const known = nameMemo.get(name);
  if (known !== undefined) return known;
  const v = classifyName(name);
  if (name.length <= 128) {
    if (nameMemo.size >= 4096) nameMemo.clear();
    nameMemo.set(name, v);
  }
  return v;
}

function classifyName(name: string): boolean {
  const lower = name.toLowerCase();
  if (SECRET_SUBSTRING.test(lower)) return true;
  // Words: split at non-alphanumerics and camelCase humps (`accessKey` → access, key).
  for (const w of name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/)) if (SECRET_WORDS.has(w)) return true;
  return false;
}

function decodeName(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  try { return decodeURIComponent(raw.replace(/\+/g, ' ')); } catch { return raw; }
}

/** Redacts `name=value` pairs (query strings, form bodies, URL fragments) by name; the whole value goes. */
export function redactPairs(text: string): string {
  let out: string | undefined;
  let from = 0;
  // Walks the pairs without splitting; builds a new string only once a secret shows up.
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('&', start);
    if (end < 0) end = text.length;
    const eq = text.indexOf('=', start);
    if (eq >= 0 && eq < end && isSecretName(decodeName(text.slice(start, eq)))) {
      out = (out ?? '') + text.slice(from, eq + 1) + REDACTED;
      from = end;
    }
    start = end + 1;
  }
  return out === undefined ? text : out + text.slice(from);
}

// `name = value`, `name: value`, `"name": "value"`: a quoted value (escapes allowed, unterminated at
// the end of a cut text) or a run up to a separator. Bounded quantifiers; alternatives are disjoint.
const KV_RE = /(["']?)([\w.\-\[\]%$@]{1,64})\1(\s{0,8}[=:]\s{0,8})("(?:[^"\\]|\\[^]){0,4096}(?:"|$)|'(?:[^'\\]|\\[^]){0,4096}(?:'|$)|\\"(?:[^"\\]|\\[^\\"]){0,4096}(?:\\"|$)|[^\s&;,"'}\])<]{1,4096})/g;
const XML_RE = /<([\w:.\-]{1,64})((?:\s[^>]{0,256})?)>([^<]{0,4096})/g;

/**
 * Redacts secret-looking values in free text (JSON that did not parse, XML, GraphQL, excerpts):
 * `name=value`, `name: value`, `"name": "value"`, `name: \"value\"`, `<name>value<`.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(KV_RE, (m, q: string, name: string, sep: string, value: string) => {
      if (!isSecretName(name)) return m;
      const quote = value.startsWith('\\"') ? '\\"' : value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : '';
      return `${q}${name}${q}${sep}${quote}${REDACTED}${quote}`;
    })
    .replace(XML_RE, (m, name: string, attrs: string) => (isSecretName(name.includes(':') ? name.slice(name.lastIndexOf(':') + 1) : name) ? `<${name}${attrs}>${REDACTED}` : m));
}

/** A JSON value with every value under a secret-looking key replaced, and strings redacted as free text. */
function redactJson(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return redactSecrets(v);
  if (v === null || typeof v !== 'object' || depth > 64) return v;
  if (Array.isArray(v)) return v.map((x) => redactJson(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = isSecretName(k) ? REDACTED : redactJson(x, depth + 1);
  return out;
}

/** The body as it may be logged: structure-aware redaction by content type, then cut to 4 KiB. */
export function redactBody(body: string, contentType: string): string {
  if (body === '') return body;
  const ct = contentType.toLowerCase();
  if (ct.includes('multipart/')) return `[multipart body not logged: ${body.length} characters]`;
  const text = body.length > REDACT_INPUT ? body.slice(0, REDACT_INPUT) : body;
  const trimmed = text.trimStart();
  if (ct.includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    if (body.length <= REDACT_INPUT) {
      try { return JSON.stringify(redactJson(JSON.parse(text), 0)).slice(0, BODY_SAMPLE); } catch { /* not JSON after all: free text */ }
    }
    return redactSecrets(text).slice(0, BODY_SAMPLE);
  }
  if (ct.includes('x-www-form-urlencoded') || (ct === '' && /^[\w.%\[\]-]{1,64}=/.test(text))) return redactPairs(text).slice(0, BODY_SAMPLE);
  return redactSecrets(text).slice(0, BODY_SAMPLE);
}

/** A URL with secret-looking query and fragment parameters redacted (Referer, Location). */
export function redactUrl(url: string): string {
  const hash = url.indexOf('#');
  const frag = hash < 0 ? '' : `#${redactPairs(url.slice(hash + 1))}`;
  const base = hash < 0 ? url : url.slice(0, hash);
  const q = base.indexOf('?');
  return (q < 0 ? base : `${base.slice(0, q)}?${redactPairs(base.slice(q + 1))}`) + frag;
}

/**
 * A log-safe sample of a request: headers from a fixed list (never Authorization or Cookie; the
 * Referer's secret parameters redacted), the query and at most 4 KiB of body, secrets redacted.
 */
export function requestSample(path: string, query: string, headers: Record<string, string | string[] | undefined>, body: string): RequestSample {
  const h: Record<string, string> = {};
  for (const name of LOGGED_HEADERS) {
    const v = headers[name];
    if (v === undefined) continue;
    const s = Array.isArray(v) ? v.join(', ') : v;
    h[name] = (name === 'referer' ? redactUrl(s) : s).slice(0, 512);
  }
  if (headers['cookie'] !== undefined) h['cookie'] = REDACTED;
  if (headers['authorization'] !== undefined) h['authorization'] = REDACTED;
  const ct = headers['content-type'];
  return {
    path: path.slice(0, 2048),
    query: redactPairs(query).slice(0, QUERY_SAMPLE),
    headers: h,
    body: redactBody(body, typeof ct === 'string' ? ct : ''),
  };
}

/**
 * The excerpt of a finding as it may be logged: `[redacted]` when the finding sits in a cookie, a
 * credential header (Authorization, Proxy-Authorization, X-Api-Key, any secret-looking name) or a
 * secret-looking parameter; otherwise secret-looking values inside it are redacted.
 */
export function loggableExcerpt(part: string, param: string | undefined, excerpt: string): string {
  if (part.startsWith('cookie') || (param !== undefined && isSecretName(param))) return REDACTED;
  if (part.startsWith('header:') && isSecretName(part.slice(7))) return REDACTED;
  return redactSecrets(excerpt);
}
