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
