// Recognizing the common request for the shield's own HTTP/1.1 server: a whole request, head and
// Content-Length body, in the bytes at hand, written in a strict subset of HTTP/1.1. Pure.
//
// The recognizer accepts only what node:http (llhttp, strict mode) accepts and reads the same way;
// everything else is declined, and the connection is handed to node:http, which answers or refuses it
// as before. So it never needs to know how to refuse: only what is plainly fine.

import type { IncomingHttpHeaders } from 'node:http';
import { closesConnection, isToken } from './h1-syntax.js';

/** A request the fast server can serve itself. Offsets are into the buffer given to `recognizeRequest`. */
export interface FastRequestHead {
  readonly method: string;
  /** The request target as sent (origin form). */
  readonly url: string;
  /** Headers as sent: [name, value, ...], values without surrounding whitespace (as node:http gives them). */
  readonly rawHeaders: string[];
  /** The client asked to close the connection after this request (`Connection: close`). */
  readonly close: boolean;
  /** Where the body starts and where the request ends (body = [bodyStart, end)). */
  readonly bodyStart: number;
  readonly end: number;
}

/** What the bytes at hand are. `partial`: no whole request yet; `decline`: not for the fast server, with why. */
export type Recognized =
  | { readonly kind: 'request'; readonly head: FastRequestHead }
  | { readonly kind: 'partial'; readonly why: string }
  | { readonly kind: 'decline'; readonly why: string };

/** Limits for `recognizeRequest`. */
export interface RecognizeLimits {
  /** Largest head (request line + headers + blank line) accepted; node's `maxHeaderSize`. */
  readonly maxHeadBytes: number;
  /** Largest Content-Length served here; longer bodies go to node:http (streamed, inspected by prefix). */
  readonly maxBodyBytes: number;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
const MAX_HEADERS = 256;
const CRLFCRLF = Buffer.from('\r\n\r\n');

const PARTIAL_HEAD: Recognized = { kind: 'partial', why: 'head incomplete' };
const PARTIAL_BODY: Recognized = { kind: 'partial', why: 'body incomplete' };
const decline = (why: string): Recognized => ({ kind: 'decline', why });

/**
 * Recognizes one request at the start of `buf`. Declines (never refuses) anything outside the subset:
 * other methods or versions, non-origin targets, bytes outside printable ASCII in the head, bare CR or
 * LF, obs-fold, whitespace before a colon, Transfer-Encoding, Expect, Upgrade, `Connection: upgrade`,
 * a missing or repeated Host, a repeated or non-decimal Content-Length, a body over the limit, a head
 * over the limit or with more than 256 headers. Never throws.
 */
export function recognizeRequest(buf: Buffer, limits: RecognizeLimits): Recognized {
  const headEnd = buf.indexOf(CRLFCRLF);
  if (headEnd < 0) {
    if (buf.length > limits.maxHeadBytes) return decline('head over the limit');
    if (bareLf(buf)) return decline('bare LF');
  } else if (headEnd + 4 > limits.maxHeadBytes) return decline('head over the limit');
  // A head not yet whole: its complete lines are checked now, so a bad one is declined at once.
  const linesEnd = headEnd >= 0 ? headEnd : buf.lastIndexOf('\r\n');
  if (linesEnd < 0) return PARTIAL_HEAD;
  const s = buf.toString('latin1', 0, linesEnd);
  const lineEnd = s.indexOf('\r\n');
  const reqLine = lineEnd < 0 ? s : s.slice(0, lineEnd);
  const sp1 = reqLine.indexOf(' ');
  const method = sp1 < 0 ? '' : reqLine.slice(0, sp1);
  if (!METHODS.has(method)) return decline('method');
  const sp2 = reqLine.indexOf(' ', sp1 + 1);
  if (sp2 < 0 || reqLine.length !== sp2 + 9 || !reqLine.endsWith(' HTTP/1.1')) return decline('request line or version');
  const url = reqLine.slice(sp1 + 1, sp2);
  if (url.charCodeAt(0) !== 0x2f || !printable(url, 0, url.length)) return decline('target');
  const rawHeaders: string[] = [];
  let hosts = 0, lengths = 0, length = 0, close = false;
  let pos = lineEnd < 0 ? s.length : lineEnd + 2;
  while (pos < s.length) {
    let eol = s.indexOf('\r\n', pos);
    if (eol < 0) eol = s.length;
    const colon = s.indexOf(':', pos);
    if (colon <= pos || colon >= eol || !isToken(s, pos, colon)) return decline('header name');
    let a = colon + 1, b = eol;
    while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
    while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
    if (!fieldValue(s, a, b)) return decline('header value');
    if (rawHeaders.length >= MAX_HEADERS * 2) return decline('too many headers');
    const name = s.slice(pos, colon), value = s.slice(a, b);
    rawHeaders.push(name, value);
    pos = eol + 2;
    switch (name.length) {
      case 4: if (name.toLowerCase() === 'host') hosts++; break;
      case 6: if (name.toLowerCase() === 'expect') return decline('expect'); break;
      case 7: if (name.toLowerCase() === 'upgrade') return decline('upgrade'); break;
      case 10: if (name.toLowerCase() === 'connection') {
        const v = value.toLowerCase();
        if (v.includes('upgrade')) return decline('connection upgrade');
        if (closesConnection(v)) close = true;
      } break;
      case 14: if (name.toLowerCase() === 'content-length') {
        lengths++;
        if (!/^\d{1,15}$/.test(value)) return decline('content-length');
        length = Number(value);
      } break;
      case 17: if (name.toLowerCase() === 'transfer-encoding') return decline('transfer-encoding'); break;
      default: break;
    }
  }
  if (headEnd < 0) return PARTIAL_HEAD;
  if (hosts !== 1) return decline('host');
  if (lengths > 1) return decline('content-length repeated');
  if (length > limits.maxBodyBytes) return decline('body over the limit');
  const bodyStart = headEnd + 4;
  if (buf.length < bodyStart + length) return PARTIAL_BODY;
  return { kind: 'request', head: { method, url, rawHeaders, close, bodyStart, end: bodyStart + length } };
}

/** A line feed not preceded by a carriage return (a head in bare-LF lines never ends in CRLFCRLF). */
function bareLf(buf: Buffer): boolean {
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) if (i === 0 || buf[i - 1] !== 0x0d) return true;
  return false;
}

/** s[a, b) is visible ASCII (0x21-0x7e). */
function printable(s: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) { const c = s.charCodeAt(i); if (c < 0x21 || c > 0x7e) return false; }
  return true;
}

/** s[a, b) is a field value of visible ASCII, spaces and tabs only (no obs-text, no CTLs). */
function fieldValue(s: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) { const c = s.charCodeAt(i); if ((c < 0x20 && c !== 0x09) || c > 0x7e) return false; }
  return true;
}

/** Headers node:http keeps the first of when repeated (lib/_http_incoming.js, matchKnownFields). */
const FIRST_WINS = new Set([
  'content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization', 'proxy-authorization',
  'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag',
  'last-modified', 'server', 'age', 'expires',
]);

/**
 * The `req.headers` object node:http would build from these raw headers: lower-case names; for
 * repeats, the first of FIRST_WINS, `set-cookie` as an array, `cookie` joined with `; `, the rest
 * joined with `, `. Pure.
 */
export function nodeHeaders(rawHeaders: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase(), value = rawHeaders[i + 1]!;
    const prev = Object.hasOwn(out, name) ? out[name] : undefined;
    if (prev === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') (prev as string[]).push(value);
    else if (FIRST_WINS.has(name)) continue;
    else out[name] = `${prev as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}
