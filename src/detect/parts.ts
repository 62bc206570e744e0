// Request parts: splits a RequestView into the named, normalized pieces detectors inspect.

import { trackPattern } from './signature.js';
import type { RequestView } from '../core/index.js';
import { lexSql, type SqlLex } from './sqllex.js';
import type { NeedleScan } from './needles.js';
import { htmlEntityDecode, normalizePath, normalizeValue, urlDecodeRepeated, type NormalizedPath } from './normalize.js';

/** Where a part came from. Detectors choose which kinds they read. */
export type PartKind = 'path' | 'query' | 'body' | 'json' | 'multipart' | 'xml' | 'cookie' | 'header' | 'name';

/** One inspectable piece of a request. `norm` is the fully normalized value (lower case). */
export interface Part {
  readonly kind: PartKind;
  /** Finding `part`, e.g. `query:q`, `body:json.user.name`, `header:user-agent`, `path`. */
  readonly name: string;
  /** The parameter name when the part is a named parameter (for per-route exclusions). */
  readonly param: string | undefined;
  /** The value after transport decoding only (URL decoding for query/form), original case. */
  readonly value: string;
  /** normalizeValue() of the value. */
  readonly norm: string;
  /** True when the value is only letters, digits and spaces (no detector but SQLi can fire on it). */
  readonly plain: boolean;
  /** False for header values only the every-header detectors read (structured headers in their grammar). */
  readonly content: boolean;
  /** Needle scan of `norm`, filled lazily by the signature layer (one scan per part). */
  scan: NeedleScan | undefined;
  /** Whether the raw value holds a raw rule's needle, filled lazily by the signature layer. */
  rawGate: boolean | undefined;
  /** SQL lex per context (bare, after ', after "), filled lazily by partSqlLex(). */
  sqlCache: Array<SqlLex | undefined> | undefined;
}

/** Everything detectors read about one request, computed once. */
export interface ParsedRequest {
  readonly parts: readonly Part[];
  readonly path: NormalizedPath;
  readonly contentType: string;
  /** Anomalies met while parsing (e.g. 'multipart-no-boundary'); detectors turn them into findings. */
  readonly anomalies: readonly string[];
  /** Parts some rule table may act on, filled lazily by the signature layer (activeParts). */
  active: readonly Part[] | undefined;
}

/** Upper bounds on parsing work per request. */
export const PART_LIMITS = Object.freeze({ maxParts: 256, maxJsonDepth: 32, maxBodyChars: 65_536 });

/**
 * Headers with a standard token-list grammar (media types, languages, cache directives, fetch
 * metadata, client hints, entity tags). A value of such a header that fits the grammar (see
 * STRUCTURED_VALUE_RE) is read only by the detectors that read every header (Java, Log4Shell,
 * Shellshock); every other header value is read by the content detectors too.
 */
const STRUCTURED_HEADERS = new Set(['accept', 'accept-language', 'accept-charset', 'cache-control', 'pragma', 'content-type',
  'content-encoding', 'content-language', 'te', 'upgrade-insecure-requests', 'dnt', 'sec-gpc', 'priority', 'sec-fetch-site',
  'sec-fetch-mode', 'sec-fetch-dest', 'sec-fetch-user', 'sec-ch-ua', 'sec-ch-ua-mobile', 'sec-ch-ua-platform',
  'sec-ch-ua-platform-version', 'sec-ch-ua-arch', 'sec-ch-ua-bitness', 'sec-ch-ua-model', 'sec-ch-ua-full-version-list',
  'if-none-match', 'if-match', 'x-requested-with', 'sec-websocket-version', 'sec-websocket-extensions']);
/** Tokens (`[\w.+*\/:=-]`), quoted strings of word characters, spaces and `.-/:=+`, separated by `;` or `,` and one space. */
const STRUCTURED_VALUE_RE = trackPattern(/^(?:[\w.+*\/:=-]|"[\w .\/:=+-]{0,128}"|[;,] ?){1,1024}$/);
const SKIP_HEADERS = new Set(['content-length', 'accept-encoding', 'connection', 'cookie']);

/** True when content detectors (sqli, xss, ...) read this header value: every header but structured ones in their grammar. */
export function isContentHeader(name: string, value: string): boolean {
  return !(STRUCTURED_HEADERS.has(name) && STRUCTURED_VALUE_RE.test(value));
}

const PLAIN_RE = trackPattern(/^[a-z0-9 ]*$/);
const CRLF_RE = trackPattern(/[\r\n]/);

class PartList {
  readonly parts: Part[] = [];
  /** Parts not kept because the list was full (reported as the `parts-truncated` anomaly). */
  dropped = 0;
  add(kind: PartKind, name: string, value: string, param: string | undefined, urlEncoded: boolean, content = true): void {
    if (this.parts.length >= PART_LIMITS.maxParts) { this.dropped++; return; }
    const norm = normalizeValue(value, urlEncoded);
    const plain = PLAIN_RE.test(norm) && !CRLF_RE.test(value);
    // One object shape for every part (lazy fields present from the start) keeps property access monomorphic.
    this.parts.push({ kind, name, param, value, norm, plain, content, scan: undefined, rawGate: undefined, sqlCache: undefined });
  }
}

const SAFE_NAME_RE = trackPattern(/^[A-Za-z0-9_.\-]{1,64}$/);
/** A prototype key anywhere in a name, any case (`__proto__`, `constructor`, `prototype`; names reach here at ≤ 64 characters). */
function protoName(name: string): boolean {
  const l = name.toLowerCase();
  return l.includes('__proto__') || l.includes('constructor') || l.includes('prototype');
}

/** A base64-looking name: 10+ base64 characters with upper case, lower case and a digit (encoded payloads as names; camelCase names have no digit). */
const B64_NAME_RE = trackPattern(/^(?=[^a-z]{0,200}[a-z])(?=[^A-Z]{0,200}[A-Z])(?=[^0-9]{0,200}[0-9])[A-Za-z0-9+/]{10,200}={0,2}$/);

/** A name opening with the base64 of a serialized Java object's magic bytes at any alignment (`rO0AB…`, `KztAA…`, `Cs7QA…`), however short. */
const JAVA_B64_NAME_RE = trackPattern(/^(?:rO0AB|KztAA|Cs7QA)/);

/** A parameter or key name worth inspecting itself (unusual characters, dotted names such as class names, base64, prototype keys). */
function inspectName(name: string): boolean {
  return !SAFE_NAME_RE.test(name) || name.includes('.') || protoName(name) || (name.length >= 10 && B64_NAME_RE.test(name))
    || (name.length >= 6 && JAVA_B64_NAME_RE.test(name));
}

function addParams(list: PartList, raw: string, prefix: 'query' | 'body', kind: PartKind): void {
  if (raw === '') return;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const name = urlDecodeRepeated(rawName).slice(0, 256);
    const value = urlDecodeRepeated(rawValue);
    if (inspectName(name)) list.add('name', `${prefix}-name:${name.slice(0, 64)}`, name, name, false);
    if (eq < 0 && rawName.length > 0 && !SAFE_NAME_RE.test(name)) continue;
    list.add(kind, `${prefix}:${name.slice(0, 64)}`, value, name, false);
  }
}

function addJson(list: PartList, v: unknown, path: string, depth: number): void {
  if (list.parts.length >= PART_LIMITS.maxParts || depth > PART_LIMITS.maxJsonDepth) { list.dropped++; return; }
  if (typeof v === 'string') { list.add('json', `body:json${path}`, v, path.slice(1) || 'json', false); return; }
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && i < PART_LIMITS.maxParts; i++) addJson(list, v[i], `${path}[${i}]`, depth + 1);
    return;
  }
  for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
    if (inspectName(k)) list.add('name', `body:json-key${path}`, k, k, false);
    addJson(list, child, `${path}.${k.slice(0, 64)}`, depth + 1);
  }
}

const BOUNDARY_RE = trackPattern(/boundary=(?:"([^"]{1,200})"|([^;,\s]{1,200}))/i);
const DISPOSITION_NAME_RE = trackPattern(/\bname="([^"]{0,256})"/i);
const DISPOSITION_FILE_RE = trackPattern(/\bfilename\*?=(?:"([^"]{0,512})"|([^;\s]{0,512}))/i);

function addMultipart(list: PartList, body: string, contentType: string, anomalies: string[]): void {
  const m = BOUNDARY_RE.exec(contentType);
  const boundary = m ? (m[1] ?? m[2] ?? '') : '';
  if (boundary === '') { anomalies.push('multipart-no-boundary'); list.add('body', 'body', body, undefined, false); return; }
  const chunks = body.split('--' + boundary);
  if (chunks.length < 2) anomalies.push('multipart-boundary-missing');
  for (const chunk of chunks.slice(1)) {
    if (chunk.startsWith('--')) break;
    const sep = chunk.indexOf('\r\n\r\n') >= 0 ? chunk.indexOf('\r\n\r\n') : chunk.indexOf('\n\n');
    const head = sep < 0 ? chunk : chunk.slice(0, sep);
    const content = sep < 0 ? '' : chunk.slice(sep + (chunk[sep] === '\r' ? 4 : 2)).replace(/\r?\n$/, '');
    const nm = DISPOSITION_NAME_RE.exec(head);
    const name = nm?.[1] ?? '';
    if (!nm) anomalies.push('multipart-no-name');
    const fm = DISPOSITION_FILE_RE.exec(head);
    if (fm) list.add('multipart', `body:multipart-filename:${name}`, fm[1] ?? fm[2] ?? '', name, false);
    if (head.split('"').length % 2 === 0) anomalies.push('multipart-unbalanced-quote');
    list.add('multipart', `body:multipart:${name.slice(0, 64)}`, content, name, false);
  }
}

const XML_TEXT_RE = trackPattern(/>([^<]{1,4096})</g);
/** Attribute values of XML elements (`<a probe="…">`); namespace declarations are not content. */
const XML_ATTR_RE = trackPattern(/\s(?!xmlns\b)[a-z_][\w:.-]{0,63}\s?=\s?(?:"([^"<]{1,4096})"|'([^'<]{1,4096})')/gi);

function addBody(list: PartList, view: RequestView, contentType: string, rawContentType: string, anomalies: string[]): void {
  const body = view.body.length > PART_LIMITS.maxBodyChars ? view.body.slice(0, PART_LIMITS.maxBodyChars) : view.body;
  if (body === '') return;
  const trimmed = body.trimStart();
  if (contentType.includes('json') || ((trimmed.startsWith('{') || trimmed.startsWith('[')) && !contentType.includes('form'))) {
    let parsed: unknown;
    let okJson = true;
    try { parsed = JSON.parse(body); } catch { okJson = false; }
    if (okJson) { addJson(list, parsed, '', 0); return; }
    if (contentType.includes('json')) anomalies.push('json-invalid');
  }
  if (contentType.includes('multipart/')) { addMultipart(list, body, rawContentType, anomalies); return; }
  if (contentType.includes('xml') || trimmed.startsWith('<?xml') || trimmed.startsWith('<!')) {
    list.add('xml', 'body:xml', body, undefined, false);
    for (const m of body.matchAll(XML_TEXT_RE)) {
      if (list.parts.length >= PART_LIMITS.maxParts) break;
      const t = m[1]!.trim();
      if (t !== '') list.add('xml', 'body:xml-text', t, undefined, true);
    }
    for (const m of body.matchAll(XML_ATTR_RE)) {
      if (list.parts.length >= PART_LIMITS.maxParts) break;
      // XML character references are the attribute's transport encoding (`&#13;&#10;` is a line break).
      const a = htmlEntityDecode((m[1] ?? m[2] ?? '').trim());
      if (a !== '') list.add('xml', 'body:xml-attr', a, undefined, true);
    }
    return;
  }
  if (contentType.includes('x-www-form-urlencoded') || (contentType === '' && /^[^\s=&]{1,256}=/.test(body))) {
    addParams(list, body, 'body', 'body');
    return;
  }
  list.add('body', 'body', body, undefined, false);
}

function addHeaders(list: PartList, view: RequestView): void {
  for (const [name, value] of view.headers) {
    if (SKIP_HEADERS.has(name)) {
      if (name === 'cookie') {
        for (const c of value.split(';')) {
          const eq = c.indexOf('=');
          const cname = (eq < 0 ? c : c.slice(0, eq)).trim();
          if (inspectName(cname)) list.add('name', `cookie-name:${cname.slice(0, 64)}`, cname, cname, false);
          list.add('cookie', `cookie:${cname.slice(0, 64)}`, urlDecodeRepeated(eq < 0 ? '' : c.slice(eq + 1).trim(), false), cname, false);
        }
      }
      continue;
    }
    list.add('header', `header:${name.slice(0, 64)}`, value, undefined, false, isContentHeader(name, value));
  }
}

/**
 * Parses a request into parts: path, query parameters (names and values), the body by content type
 * (urlencoded, JSON leaves and keys, multipart fields and filenames, XML), cookies and headers.
 * At most PART_LIMITS.maxParts parts. Never throws.
 */
export function parseRequest(view: RequestView): ParsedRequest {
  const list = new PartList();
  const anomalies: string[] = [];
  let contentType = '';
  let rawContentType = '';
  for (const [n, v] of view.headers) if (n === 'content-type') { rawContentType = v; contentType = v.toLowerCase(); break; }
  const path = normalizePath(view.path);
  list.add('path', 'path', urlDecodeRepeated(view.path, false), undefined, false);
  // Headers before query and body, so padding cannot push User-Agent and friends out of inspection.
  addHeaders(list, view);
  addParams(list, view.query, 'query', 'query');
  try { addBody(list, view, contentType, rawContentType, anomalies); } catch { anomalies.push('body-unparsable'); }
  if (list.dropped > 0) anomalies.push('parts-truncated');
  return { parts: list.parts, path, contentType, anomalies, active: undefined };
}

const QUOTES = [undefined, "'", '"'] as const;

/** SQL lex of a part in context 0 (bare), 1 (after '), 2 (after "), computed once per part. Never throws. */
export function partSqlLex(part: Part, ctx: 0 | 1 | 2): SqlLex {
  const cache = part.sqlCache ?? (part.sqlCache = [undefined, undefined, undefined]);
  return cache[ctx] ?? (cache[ctx] = lexSql(part.norm, QUOTES[ctx]));
}
