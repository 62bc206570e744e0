// Request samples for the decision log: selected headers and a body prefix with secrets redacted.
//
// Redaction works on structure where the shield knows it (query and form pairs, JSON keys at any
// depth, the Referer's userinfo, query and fragment, path parameters): a value goes whole when its
// name looks secret or the value itself mentions a secret field (`…?token=…` inside a URL). Text of
// any other shape is logged only if it mentions no secret-looking field at all; multipart never.

import { urlDecodeRepeated } from '../detect/index.js';
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

/** A function of short strings memoized in a bounded map (the same few names come with every request). */
function memoized(f: (s: string) => boolean): (s: string) => boolean {
  const memo = new Map<string, boolean>();
  return (s: string): boolean => {
    const known = memo.get(s);
    if (known !== undefined) return known;
    const v = f(s);
    if (s.length <= 128) {
      if (memo.size >= 4096) memo.clear();
      memo.set(s, v);
    }
    return v;
  };
}

/** True when a parameter, JSON key, XML element or header name looks like it carries a secret. */
export const isSecretName: (name: string) => boolean = memoized(classifyName);

/** isSecretName of a URL-encoded name (decoded until stable), memoized by the raw text. */
const isSecretRawName = memoized((raw) => isSecretName(urlDecodeRepeated(raw)));

function classifyName(name: string): boolean {
  const lower = name.toLowerCase();
  if (SECRET_SUBSTRING.test(lower)) return true;
  // Words: split at non-alphanumerics and camelCase humps (`accessKey` → access, key).
  for (const w of name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/)) if (SECRET_WORDS.has(w)) return true;
  return false;
}

// A secret-looking name followed by a separator anywhere in a text (`token=`, `"password": `,
// `Authorization: Bearer`, `login(password: `), or a bearer credential. Bounded, linear.
const MENTION_RE = /(?:pass|pwd|secret|token|api[_-]?key|apikey|auth|session|credit|card|cvv|cvc|ssn|otp|private|credential|signature|jwt|cookie|csrf|xsrf|nonce|\b(?:key|code|sig|pin|sid|pw|mfa|tan|hmac|salt|iban|pan))[\w.\-\[\]%]{0,32}\s{0,4}\\?["']?\s{0,4}[=:>]|\bbearer\s/i;

/** Cheap pre-test: a mention needs a separator (`=`, `:`, `>`, possibly %-encoded, maybe twice) or a bearer credential. */
function mayMention(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 61 || c === 58 || c === 62) return true;
    // %3A %3D %3E (an encoded separator) or %25 (double encoding).
    if (c === 37) {
      const a = text.charCodeAt(i + 1), b = text.charCodeAt(i + 2) | 0x20;
      if ((a === 51 && (b === 97 || b === 100 || b === 101)) || (a === 50 && b === 53)) return true;
    }
  }
  return /earer/i.test(text);
}

/** True when a text (decoded) mentions a secret-looking field with a value: such a value is never logged. */
export function mentionsSecret(text: string): boolean {
  if (!mayMention(text)) return false;
  if (MENTION_RE.test(text)) return true;
  if ((text.includes('%') || text.includes('+')) && MENTION_RE.test(urlDecodeRepeated(text))) return true;
  // JSON-escaped names (`"pa\u0073sword"`) in text that did not parse as JSON.
  return text.includes('\\u') && MENTION_RE.test(text.replace(/\\u([0-9a-fA-F]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))));
}

/**
 * Redacts `name=value` pairs (query strings, form bodies, URL fragments; `&` or `;` between pairs):
 * the whole value goes when its name is secret-looking (decoded) or the value itself mentions a
 * secret field (a URL with `?token=` inside, percent-encoded or not). Linear in the text.
 */
export function redactPairs(text: string): string {
  let out: string | undefined;
  let from = 0;
  for (let start = 0; start <= text.length;) {
    let end = start;
    while (end < text.length && text.charCodeAt(end) !== 38 /* & */ && text.charCodeAt(end) !== 59 /* ; */) end++;
    const eq = text.indexOf('=', start);
    if (eq >= 0 && eq < end && (isSecretRawName(text.slice(start, eq)) || mentionsSecret(text.slice(eq + 1, end)))) {
      // `password=ab;cd`: a `;` segment without `=` is more of the same value, not a new pair.
      while (text.charCodeAt(end) === 59) {
        let next = end + 1;
        while (next < text.length && text.charCodeAt(next) !== 38 && text.charCodeAt(next) !== 59 && text.charCodeAt(next) !== 61) next++;
        if (text.charCodeAt(next) === 61) break;
        end = next;
      }
      out = (out ?? '') + text.slice(from, eq + 1) + REDACTED;
      from = end;
    }
    start = end + 1;
  }
  return out === undefined ? text : out + text.slice(from);
}

/** A JSON value with every value under a secret-looking key, and every string mentioning a secret field, replaced. */
function redactJson(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return mentionsSecret(v) ? REDACTED : v;
  if (v === null || typeof v !== 'object') return v;
  if (depth > 64) return REDACTED;
  if (Array.isArray(v)) return v.map((x) => redactJson(x, depth + 1));
  // A prototype-less object: a `__proto__` key stays an ordinary key in the sample.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = isSecretName(k) || mentionsSecret(k) ? REDACTED : redactJson(x, depth + 1);
  return out;
}

/**
 * The body as it may be logged, at most 4 KiB: urlencoded forms pair by pair and JSON (up to
 * 16 KiB) value by value; any other body (text, XML, JSON that does not parse, larger JSON) is
 * logged only if it mentions no secret-looking field at all; multipart bodies never.
 */
export function redactBody(body: string, contentType: string): string {
  if (body === '') return body;
  const ct = contentType.toLowerCase();
  if (ct.includes('multipart/')) return `[multipart body not logged: ${body.length} characters]`;
  const trimmed = body.trimStart();
  if ((ct.includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[')) && body.length <= REDACT_INPUT) {
    try { return JSON.stringify(redactJson(JSON.parse(body), 0)).slice(0, BODY_SAMPLE); } catch { /* not JSON after all */ }
  }
  if (ct.includes('x-www-form-urlencoded') || (ct === '' && /^[\w.%\[\]-]{1,64}=/.test(body))) {
    // Cut first (linear), then redact: a value cut short still has its name, so it is still redacted.
    return redactPairs(body.length > BODY_SAMPLE * 2 ? body.slice(0, BODY_SAMPLE * 2) : body).slice(0, BODY_SAMPLE);
  }
  const head = body.length > REDACT_INPUT ? body.slice(0, REDACT_INPUT) : body;
  if (mentionsSecret(head)) return `[body not logged: ${body.length} characters mentioning secret-looking fields]`;
  return body.slice(0, BODY_SAMPLE);
}

/** A URL with its userinfo and secret-looking query and fragment parameters redacted (Referer, Location). */
export function redactUrl(url: string): string {
  const u = url.length > QUERY_SAMPLE * 2 ? url.slice(0, QUERY_SAMPLE * 2) : url;
  const noUser = u.replace(/^([a-z][a-z0-9+.\-]{0,16}:\/\/)[^\/?#@]{0,512}@/i, `$1${REDACTED}@`);
  const hash = noUser.indexOf('#');
  const frag = hash < 0 ? '' : `#${redactPairs(noUser.slice(hash + 1))}`;
  const base = hash < 0 ? noUser : noUser.slice(0, hash);
  const q = base.indexOf('?');
  return (q < 0 ? redactPathParams(base) : `${redactPathParams(base.slice(0, q))}?${redactPairs(base.slice(q + 1))}`) + frag;
}

/** Path parameters (`/x;jsessionid=…`) with secret-looking names redacted. */
export function redactPathParams(path: string): string {
  if (!path.includes(';')) return path;
  return path.replace(/;([^\/;=]{1,64})=([^\/;?#]*)/g, (m, n: string) => (isSecretName(urlDecodeRepeated(n)) ? `;${n}=${REDACTED}` : m));
}

/**
 * Redacts a text of unknown shape: JSON value by value, `name=value` pairs pair by pair, and any
 * other text whole when it mentions a secret-looking field. Never throws.
 */
export function redactSecrets(text: string): string {
  const t = text.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try { return JSON.stringify(redactJson(JSON.parse(text), 0)); } catch { /* not JSON */ }
  }
  if (/^[\w.%\[\]-]{1,64}=/.test(text) && !/\s/.test(text)) return redactPairs(text);
  return mentionsSecret(text) ? REDACTED : text;
}

/**
 * A log-safe sample of a request: headers from a fixed list (never Authorization or Cookie; the
 * Referer's userinfo and secret parameters redacted), the path (secret path parameters redacted),
 * the query and at most 4 KiB of body, secrets redacted (see redactBody).
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
    path: redactPathParams(path.slice(0, 2048)),
    // Cut first (so the work is bounded), then redact: a value cut short keeps its name.
    query: redactPairs(query.length > QUERY_SAMPLE * 2 ? query.slice(0, QUERY_SAMPLE * 2) : query).slice(0, QUERY_SAMPLE),
    headers: h,
    body: redactBody(body, typeof ct === 'string' ? ct : ''),
  };
}

/**
 * The excerpt of a finding as it may be logged: `[redacted]` when the finding sits in a cookie, a
 * credential header (Authorization, Proxy-Authorization, X-Api-Key, any secret-looking name), a
 * secret-looking parameter, or when the excerpt itself mentions a secret field.
 */
export function loggableExcerpt(part: string, param: string | undefined, excerpt: string): string {
  if (part.startsWith('cookie') || (param !== undefined && isSecretName(param))) return REDACTED;
  if (part.startsWith('header:') && isSecretName(part.slice(7))) return REDACTED;
  return mentionsSecret(excerpt) ? REDACTED : excerpt;
}
