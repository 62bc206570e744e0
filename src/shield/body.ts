// Request bodies: read a prefix for inspection, then hand the rest to the forwarder as a stream.

import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** A body read up to the inspection limit. */
export interface BodyPrefix {
  readonly prefix: Buffer;
  /** True when the whole body is in `prefix`. */
  readonly complete: boolean;
  /** True when the client sent more than `maxBody` (the caller answers 413). */
  readonly tooLarge: boolean;
  /** True when the body could not be read (bad chunk framing, client abort): never forward it. */
  readonly failed: boolean;
}

/**
 * Reads up to `limit` bytes of the request body. Stops early (pausing the request) once the limit is
 * passed; the caller then streams the rest with `continueBody`. Resolves (never rejects) on error
 * or abort with what was read so far and `complete: false`.
 */
export function readBodyPrefix(req: IncomingMessage, limit: number, maxBody: number): Promise<BodyPrefix> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (complete: boolean, tooLarge = false, failed = false): void => {
      if (done) return;
      done = true;
      req.off('data', onData); req.off('end', onEnd); req.off('error', onErr); req.off('aborted', onErr);
      const prefix = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      resolve({ prefix, complete, tooLarge, failed });
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      size += c.length;
      if (size > maxBody) { finish(false, true); return; }
      if (size > limit) { req.pause(); finish(false); }
    };
    const onEnd = (): void => finish(true);
    const onErr = (): void => finish(false, false, true);
    req.on('data', onData); req.on('end', onEnd); req.on('error', onErr); req.on('aborted', onErr);
  });
}

/** A body already read whole (the fast server): complete, or too large for `maxBody`. */
export function bufferedBody(body: Buffer | null, maxBody: number): BodyPrefix {
  const prefix = body ?? Buffer.alloc(0);
  return { prefix, complete: prefix.length <= maxBody, tooLarge: prefix.length > maxBody, failed: false };
}

/** Thrown inside a forwarded body stream when the client exceeds the body size limit. */
export class BodyTooLarge extends Error {
  readonly code = 'JIRACHI_BODY_TOO_LARGE';
}

/**
 * A stream of the already-read prefix followed by the rest of the request, erroring with BodyTooLarge
 * once `maxBody` bytes are passed.
 */
export function continueBody(req: IncomingMessage, prefix: Buffer, maxBody: number): Readable {
  let seen = prefix.length;
  async function* gen(): AsyncGenerator<Buffer> {
    if (prefix.length) yield prefix;
    for await (const c of req) {
      const b = c as Buffer;
      seen += b.length;
      if (seen > maxBody) throw new BodyTooLarge(`request body over ${maxBody} bytes`);
      yield b;
    }
  }
  const stream = Readable.from(gen(), { objectMode: false });
  // The client may abort, or the forward may end, while this stream still reads: its error then has
  // nobody left to tell, and an unhandled stream error would take the whole process down.
  stream.on('error', () => {});
  return stream;
}

const TEXT_TYPES = /^(?:application\/(?:x-www-form-urlencoded|json|[\w.+-]*\+json|xml|[\w.+-]*\+xml|javascript|graphql|x-ndjson)|multipart\/|text\/)/i;

/**
 * True if a body of this Content-Type is inspected. Binary media types (images, archives,
 * octet-stream, ...) are not: an application parses them as data, and decoding random bytes as
 * text only breeds false positives. A missing type is inspected.
 */
export function isInspectableType(contentType: string | undefined): boolean {
  return contentType === undefined || contentType === '' || TEXT_TYPES.test(contentType);
}

/** Why a body cannot be inspected faithfully (the caller answers with `status`), or null. */
export interface BodyEncodingError { readonly status: 400 | 415; readonly code: string; readonly message: string }

/**
 * On inspected routes the shield must read the body as the application will: a compressed body
 * (Content-Encoding other than identity), a UTF-16/32 charset, or two Content-Type or
 * Content-Encoding headers would make it inspect different bytes than the application parses.
 * Returns the refusal, or null. Pure.
 */
export function bodyEncodingError(rawHeaders: readonly string[]): BodyEncodingError | null {
  let types = 0, encodings = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const n = rawHeaders[i]!.toLowerCase();
    const v = rawHeaders[i + 1]!.trim().toLowerCase();
    if (n === 'content-type') {
      types++;
      if (/charset\s*=\s*"?(utf-?16|utf-?32|ucs-?2|utf-?7)/.test(v)) return { status: 415, code: 'charset', message: 'request bodies in UTF-16/UTF-32/UTF-7 are not accepted' };
    } else if (n === 'content-encoding') {
      encodings++;
      if (v !== '' && v !== 'identity') return { status: 415, code: 'content-encoding', message: 'compressed request bodies are not accepted' };
    }
  }
  if (types > 1 || encodings > 1) return { status: 400, code: 'header-duplicate', message: 'more than one Content-Type or Content-Encoding header' };
  return null;
}

/** Words that, anywhere in a Content-Type, mean some framework parses the body as text (Laravel's isJson: `/json` or `+json`). */
const TEXTUAL_WORDS = ['json', 'xml', 'form', 'text', 'javascript', 'yaml', 'graphql'] as const;

/** How many leading body bytes are sniffed, and the most C0 control bytes (other than \t\r\n) per byte a text sample holds. */
const SNIFF_BYTES = 512;
const MAX_CONTROL_SHARE = 0.05;

/**
 * True if a body is inspected: its media type is textual (isInspectableType: missing, form, JSON,
 * XML, multipart, text/*), or the Content-Type names json, xml, form, text, javascript, yaml or
 * graphql anywhere (frameworks parse `image/json` or `application/x-json` as JSON), or the first
 * 512 bytes of the body sniff as text (looksLikeText). Binary uploads (PNG, JPEG, gzip, zip, PDF
 * with binary streams) under a binary type are not inspected. Pure; never throws.
 */
export function inspectsBody(contentType: string | undefined, prefix: Buffer): boolean {
  if (isInspectableType(contentType)) return true;
  const t = contentType!.toLowerCase();
  for (const w of TEXTUAL_WORDS) if (t.includes(w)) return true;
  return looksLikeText(prefix);
}

/**
 * True if the first 512 bytes of `body` read as text: no NUL byte, valid UTF-8 (a multi-byte
 * sequence cut by the end of the sample is allowed), and at most 5 % C0 control bytes other than
 * tab, CR and LF. An empty body is text. Pure; never throws.
 */
export function looksLikeText(body: Buffer): boolean {
  const n = Math.min(body.length, SNIFF_BYTES);
  let controls = 0;
  for (let i = 0; i < n;) {
    const b = body[i]!;
    if (b < 0x80) {
      if (b === 0) return false;
      if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) controls++;
      i++;
      continue;
    }
    const len = utf8SequenceLength(body, i, n);
    if (len === 0) return false;
    if (len < 0) break; // cut by the end of the sample
    i += len;
  }
  return controls <= n * MAX_CONTROL_SHARE;
}

/**
 * Length of the well-formed UTF-8 sequence starting at `i` (a byte >= 0x80), 0 if it is malformed
 * (stray continuation, overlong form, surrogate, above U+10FFFF), -1 if it is well-formed so far but
 * cut by `end`.
 */
function utf8SequenceLength(b: Buffer, i: number, end: number): number {
  const c = b[i]!;
  let len: number, lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) len = 2;
  else if (c >= 0xe0 && c <= 0xef) { len = 3; if (c === 0xe0) lo = 0xa0; else if (c === 0xed) hi = 0x9f; }
  else if (c >= 0xf0 && c <= 0xf4) { len = 4; if (c === 0xf0) lo = 0x90; else if (c === 0xf4) hi = 0x8f; }
  else return 0;
  for (let k = 1; k < len; k++) {
    if (i + k >= end) return -1;
    const x = b[i + k]!;
    if (x < (k === 1 ? lo : 0x80) || x > (k === 1 ? hi : 0xbf)) return 0;
  }
  return len;
}

/** Content-Transfer-Encoding values a multipart parser leaves as they are. */
const IDENTITY_TRANSFER_ENCODINGS = ['7bit', '8bit', 'binary'] as const;
const CTE_NAME = 'content-transfer-encoding';

/**
 * For a multipart/* body: a Content-Type with more than one `boundary` parameter (400,
 * 'multipart-boundary': parsers disagree which one wins), or a part whose Content-Transfer-Encoding
 * is not 7bit, 8bit or binary (415, 'transfer-encoding': Django and python-multipart decode base64
 * and quoted-printable parts, so the shield would inspect other bytes than the application reads).
 * Part headers are those lines after any line starting with `--`, up to the next empty line, found
 * in `prefix` (LF or CRLF line ends, folded values joined). One linear pass, no regex. Null for
 * other bodies or when nothing is wrong. Pure; never throws.
 */
export function multipartEncodingError(contentType: string | undefined, prefix: Buffer): BodyEncodingError | null {
  if (contentType === undefined) return null;
  const semi = contentType.indexOf(';');
  const media = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (!media.startsWith('multipart/')) return null;
  if (semi >= 0 && boundaryParamCount(contentType.slice(semi + 1)) > 1) {
    return { status: 400, code: 'multipart-boundary', message: 'a multipart Content-Type with more than one boundary parameter is not accepted' };
  }
  return partTransferEncodingError(prefix);
}

/** Parameters named `boundary` (or `boundary*...`, RFC 2231), counted over a plain split at `;` (a superset of a quote-aware split). */
function boundaryParamCount(params: string): number {
  let n = 0;
  for (const seg of params.split(';')) {
    const eq = seg.indexOf('=');
    const name = (eq < 0 ? seg : seg.slice(0, eq)).trim().toLowerCase();
    if (name === 'boundary' || name.startsWith('boundary*')) n++;
  }
  return n;
}

function transferEncodingRefusal(value: string): BodyEncodingError {
  return {
    status: 415, code: 'transfer-encoding',
    message: `a multipart part with Content-Transfer-Encoding ${JSON.stringify(value.slice(0, 40))} is not accepted (only 7bit, 8bit or binary)`,
  };
}

/** The part-header scan of multipartEncodingError. Work is linear in `prefix.length`. */
function partTransferEncodingError(prefix: Buffer): BodyEncodingError | null {
  let inHeaders = false;
  let cte: string | null = null; // value of a Content-Transfer-Encoding header being read (folded lines join it)
  const settle = (): BodyEncodingError | null => {
    if (cte === null) return null;
    const v = cte.trim().toLowerCase();
    cte = null;
    return (IDENTITY_TRANSFER_ENCODINGS as readonly string[]).includes(v) ? null : transferEncodingRefusal(v);
  };
  for (let pos = 0; pos < prefix.length;) {
    const nl = prefix.indexOf(0x0a, pos);
    const end = nl < 0 ? prefix.length : nl;
    const lineEnd = end > pos && prefix[end - 1] === 0x0d ? end - 1 : end;
    if (inHeaders) {
      const folded = cte !== null && (prefix[pos] === 0x20 || prefix[pos] === 0x09);
      if (folded) cte += ' ' + prefix.toString('latin1', pos, Math.min(lineEnd, pos + 256));
      else {
        const e = settle();
        if (e) return e;
        if (lineEnd === pos) inHeaders = false;
        else cte = cteValue(prefix, pos, lineEnd);
      }
    } else if (prefix[pos] === 0x2d && prefix[pos + 1] === 0x2d) inHeaders = true;
    if (nl < 0) {
      // A header line cut by the end of the prefix: refuse only what cannot become an accepted value.
      if (cte === null) return null;
      const v = (cte as string).trim().toLowerCase();
      return IDENTITY_TRANSFER_ENCODINGS.some((a) => a.startsWith(v)) ? null : transferEncodingRefusal(v);
    }
    pos = nl + 1;
  }
  return settle();
}

/** The value (at most 256 bytes, latin1) if the line `[pos, end)` is a Content-Transfer-Encoding header, else null. */
function cteValue(b: Buffer, pos: number, end: number): string | null {
  const colon = b.subarray(pos, Math.min(end, pos + 64)).indexOf(0x3a);
  if (colon < 0) return null;
  if (b.toString('latin1', pos, pos + colon).trim().toLowerCase() !== CTE_NAME) return null;
  return b.toString('latin1', pos + colon + 1, Math.min(end, pos + colon + 1 + 256));
}
