// Pure HTTP/1.1 response parsing for the upstream client: the head, and the body's framing and chunked decoding.

import { isToken } from './h1-syntax.js';

/** How the response body is delimited (RFC 9112 §6.3). */
export type BodyFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  | { readonly kind: 'close' };

/** A parsed response head. */
export interface ResponseHead {
  readonly status: number;
  /** Flat [name, value, ...] with names as sent. */
  readonly headers: string[];
  readonly framing: BodyFraming;
  /** The connection may carry another request after this response. */
  readonly reusable: boolean;
}

/** Result of parsing one head: the head, or a precise reason the upstream's answer is unusable. */
export type HeadResult = { readonly ok: true; readonly head: ResponseHead } | { readonly ok: false; readonly error: string };

// Field values: visible ASCII, obs-text, SP and HTAB (no CR, LF or NUL).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;

/** Strips optional whitespace (SP and HTAB only, RFC 9110 §5.6.3) from both ends of a field value. */
function trimOws(v: string): string {
  let a = 0;
  let b = v.length;
  while (a < b && (v.charCodeAt(a) === 32 || v.charCodeAt(a) === 9)) a++;
  while (b > a && (v.charCodeAt(b - 1) === 32 || v.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === v.length ? v : v.slice(a, b);
}

/**
 * Parses a response head (the bytes before CRLFCRLF, latin1) of a response to `method`.
 * Strict where a lenient reading could desynchronise the connection: obs-fold, bad names,
 * conflicting or invalid Content-Length, and any Transfer-Encoding other than plain `chunked` are
 * errors (Content-Length with Transfer-Encoding is read as chunked and the connection is not reused).
 */
export function parseResponseHead(text: string, method: string): HeadResult {
  const lines = text.split('\r\n');
  const m = STATUS_LINE.exec(lines[0] ?? '');
  if (!m) return { ok: false, error: `bad status line ${JSON.stringify((lines[0] ?? '').slice(0, 60))}` };
  const http10 = m[1] === '0';
  const status = Number(m[2]);
  const headers: string[] = [];
  let length: number | undefined;
  let te: string | undefined;
  let connection = '';
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const c = line.indexOf(':');
    if (c <= 0) return { ok: false, error: line.length && (line[0] === ' ' || line[0] === '\t') ? 'obs-fold in response header' : `malformed response header line ${i}` };
    const name = line.slice(0, c);
    if (!isToken(name)) return { ok: false, error: `invalid response header name ${JSON.stringify(name.slice(0, 40))}` };
    const value = trimOws(line.slice(c + 1));
    if (!FIELD_VALUE.test(value)) return { ok: false, error: `invalid characters in response header ${name}` };
    const lower = name.toLowerCase();
    if (lower === 'content-length') {
      if (!/^\d{1,15}$/.test(value)) return { ok: false, error: `invalid Content-Length ${JSON.stringify(value.slice(0, 20))}` };
      const n = Number(value);
      if (length !== undefined && length !== n) return { ok: false, error: 'conflicting Content-Length values' };
      length = n;
    } else if (lower === 'transfer-encoding') te = te === undefined ? value : `${te}, ${value}`;
    else if (lower === 'connection') connection = connection ? `${connection}, ${value.toLowerCase()}` : value.toLowerCase();
    headers.push(name, value);
  }
  const tokens = connection.split(',').map(trimOws);
  const close = tokens.includes('close');
  const keepAlive = tokens.includes('keep-alive');
  let reusable = http10 ? keepAlive && !close && te === undefined : !close;
  let framing: BodyFraming;
  if (te !== undefined) {
    const codings = te.split(',').map((t) => trimOws(t).toLowerCase()).filter(Boolean);
    // Only plain chunked is decoded; other transfer codings would reach the client still encoded.
    if (codings.length !== 1 || codings[0] !== 'chunked') return { ok: false, error: `unsupported Transfer-Encoding ${JSON.stringify(te.slice(0, 40))}` };
    if (length !== undefined) reusable = false;
  }
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) {
    framing = { kind: 'none' };
    // A bodiless answer that still announces a body may be followed by one: never reuse the
    // connection then, nor after any HEAD (as undici does), so stray bytes cannot become the next
    // request's answer.
    if (method === 'HEAD' || te !== undefined || (length !== undefined && length > 0)) reusable = false;
  } else if (te !== undefined) framing = { kind: 'chunked' };
  else if (length !== undefined) framing = length === 0 ? { kind: 'none' } : { kind: 'length', length };
  else framing = { kind: 'close' };
  if (framing.kind === 'close') reusable = false;
  return { ok: true, head: { status, headers, framing, reusable } };
}

/** Result of feeding bytes to a body reader. */
export interface FeedResult {
  /** The body is complete. */
  readonly done: boolean;
  /** Bytes after the end of the body (a well-behaved upstream sends none). */
  readonly extra: number;
  /** Set if the body's framing is broken. */
  readonly error?: string;
}

const MAX_CHUNK_LINE = 4096;
const MAX_TRAILERS = 16384;

/**
 * Incremental reader of a response body: hands decoded payload bytes to `emit` (sub-arrays of the
 * input, never copies) and says when the body ends. For `close` framing the caller ends it.
 */
export class BodyReader {
  private remaining: number;
  private state: 'size' | 'data' | 'data-crlf' | 'trailers' | 'done' = 'size';
  private line = '';
  private trailerBytes = 0;

  constructor(private readonly framing: BodyFraming, private readonly emit: (chunk: Buffer) => void) {
    this.remaining = framing.kind === 'length' ? framing.length : 0;
    if (framing.kind === 'none') this.state = 'done';
  }

  /** True once the whole body has been read. */
  get done(): boolean { return this.state === 'done'; }

  /** Feeds the next bytes from the connection. */
  feed(buf: Buffer): FeedResult {
    if (this.state === 'done') return { done: true, extra: buf.length };
    if (this.framing.kind === 'close') { if (buf.length) this.emit(buf); return { done: false, extra: 0 }; }
    if (this.framing.kind === 'length') {
      const take = Math.min(this.remaining, buf.length);
      if (take) this.emit(take === buf.length ? buf : buf.subarray(0, take));
      this.remaining -= take;
      if (this.remaining === 0) { this.state = 'done'; return { done: true, extra: buf.length - take }; }
      return { done: false, extra: 0 };
    }
    return this.feedChunked(buf);
  }

  private feedChunked(buf: Buffer): FeedResult {
    let i = 0;
    while (i < buf.length) {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, buf.length - i);
        this.emit(buf.subarray(i, i + take));
        i += take; this.remaining -= take;
        if (this.remaining === 0) { this.state = 'data-crlf'; this.line = ''; }
        continue;
      }
      const nl = buf.indexOf(10, i);
      const end = nl < 0 ? buf.length : nl + 1;
      this.line += buf.toString('latin1', i, end);
      i = end;
      if (this.line.length > (this.state === 'trailers' ? MAX_TRAILERS : MAX_CHUNK_LINE)) return { done: false, extra: 0, error: 'chunk line too long' };
      if (nl < 0) break;
      const line = this.line;
      this.line = '';
      if (!line.endsWith('\r\n')) return { done: false, extra: 0, error: 'bare LF in chunked body' };
      const content = line.slice(0, -2);
      if (this.state === 'data-crlf') {
        if (content !== '') return { done: false, extra: 0, error: 'missing CRLF after chunk data' };
        this.state = 'size';
      } else if (this.state === 'size') {
        const m = /^([0-9A-Fa-f]{1,12})[\t ]*(?:;[^\r\n]*)?$/.exec(content);
        if (!m) return { done: false, extra: 0, error: `bad chunk size line ${JSON.stringify(content.slice(0, 20))}` };
        const size = parseInt(m[1]!, 16);
        if (size === 0) this.state = 'trailers';
        else { this.remaining = size; this.state = 'data'; }
      } else {
        // Trailer section: dropped (they are not forwarded); an empty line ends the message.
        this.trailerBytes += line.length;
        if (this.trailerBytes > MAX_TRAILERS) return { done: false, extra: 0, error: 'trailers too large' };
        if (content === '') { this.state = 'done'; return { done: true, extra: buf.length - i }; }
      }
    }
    return { done: false, extra: 0 };
  }
}
