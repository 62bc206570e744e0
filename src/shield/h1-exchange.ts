// One request/response exchange on a pooled upstream connection, streaming the response into the client's ServerResponse.

import type { ServerResponse } from 'node:http';
import type net from 'node:net';
import type { Readable } from 'node:stream';
import { BodyReader, parseResponseHead, type ResponseHead } from './h1-response.js';
import { downstreamRawHeaders } from './headers.js';

/** What to send: the serialized head (latin1) and the body. */
export interface ExchangeJob {
  readonly head: string;
  readonly body: Buffer | Readable | null;
  /** Send a streamed body with chunked coding (no Content-Length known). */
  readonly chunked: boolean;
  readonly method: string;
  readonly res: ServerResponse;
  readonly headersMs: number;
  readonly bodyMs: number;
  readonly maxHeadBytes: number;
}

/** How a forward ended (what the pipeline sees). */
export type ForwardOutcome =
  | { readonly kind: 'ok'; readonly status: number }
  | { readonly kind: 'error'; readonly status: 502 | 504 | 413; readonly error: string; readonly responded: boolean };

/** How an exchange ended. `retry`: the reused connection was dead before any answer; safe to resend. */
export type ExchangeResult = ForwardOutcome | { readonly kind: 'retry'; readonly error: string };

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Runs one exchange on `socket` and calls `done` exactly once with the outcome and whether the
 * connection can carry another request. Never throws.
 */
export function runExchange(socket: net.Socket, reused: boolean, job: ExchangeJob, done: (r: ExchangeResult, reusable: boolean) => void): void {
  const res = job.res;
  let acc: Buffer | null = null;
  let got = false;
  let reader: BodyReader | null = null;
  let head: ResponseHead | null = null;
  let bodySent = job.body === null || Buffer.isBuffer(job.body);
  let finished = false;
  let paused = false;

  const cleanup = (): void => {
    socket.off('data', onData); socket.off('end', onEnd); socket.off('error', onError); socket.off('close', onClose);
    socket.off('timeout', onTimeout); socket.off('drain', onSocketDrain);
    res.off('close', onResClose); res.off('drain', onResDrain);
    if (job.body !== null && !Buffer.isBuffer(job.body)) { job.body.off('data', onBodyData); job.body.off('end', onBodyEnd); job.body.off('error', onBodyError); }
    if (paused) socket.resume();
  };
  const finish = (r: ExchangeResult, reusable: boolean): void => {
    if (finished) return;
    finished = true;
    cleanup();
    if (!reusable) socket.destroy();
    done(r, reusable);
  };
  const fail = (status: 502 | 504, error: string): void => {
    if (head !== null) { res.destroy(); finish({ kind: 'error', status: 502, error, responded: true }, false); return; }
    finish({ kind: 'error', status, error, responded: res.destroyed }, false);
  };
  const complete = (extra: number): void => {
    const reusable = head!.reusable && extra === 0 && bodySent;
    res.end();
    finish({ kind: 'ok', status: head!.status }, reusable);
  };
  const emit = (chunk: Buffer): void => {
    if (!res.write(chunk) && !paused) { paused = true; socket.pause(); }
  };
  const onResDrain = (): void => { if (paused) { paused = false; socket.resume(); } };

  const startBody = (h: ResponseHead, rest: Buffer): void => {
    head = h;
    try {
      res.writeHead(h.status, downstreamRawHeaders(h.headers, h.framing.kind === 'chunked' || h.framing.kind === 'close'));
    } catch (e) {
      head = null;
      fail(502, `upstream response not forwardable: ${(e as Error).message}`.slice(0, 200));
      return;
    }
    socket.setTimeout(job.bodyMs);
    reader = new BodyReader(h.framing, emit);
    res.on('drain', onResDrain);
    if (reader.done) { complete(rest.length); return; }
    if (rest.length) feed(rest);
  };
  const feed = (buf: Buffer): void => {
    const r = reader!.feed(buf);
    if (r.error) fail(502, `upstream body: ${r.error}`);
    else if (r.done) complete(r.extra);
  };
  const onData = (d: Buffer): void => {
    got = true;
    if (reader) { feed(d); return; }
    const from = acc ? Math.max(0, acc.length - 3) : 0;
    acc = acc ? Buffer.concat([acc, d]) : d;
    for (;;) {
      const end = acc.indexOf(CRLFCRLF, from);
      if (end < 0) {
        if (acc.length > job.maxHeadBytes) fail(502, `upstream response head over ${job.maxHeadBytes} bytes`);
        return;
      }
      const parsed = parseResponseHead(acc.toString('latin1', 0, end), job.method);
      if (!parsed.ok) { fail(502, `upstream response: ${parsed.error}`); return; }
      const rest = acc.subarray(end + 4);
      if (parsed.head.status >= 200) { acc = null; startBody(parsed.head, rest); return; }
      // Interim responses (100 Continue, 103 Early Hints) are consumed here; 101 was never asked for.
      if (parsed.head.status === 101) { fail(502, 'upstream switched protocols without an upgrade request'); return; }
      acc = rest;
      if (!acc.length) { acc = null; return; }
    }
  };
  const onEnd = (): void => {
    if (head !== null && head.framing.kind === 'close') { complete(0); return; }
    onClose();
  };
  const onError = (e: NodeJS.ErrnoException): void => { lastError = `${e.code ?? 'error'}: ${e.message}`; };
  let lastError = 'upstream closed the connection';
  const onClose = (): void => {
    if (finished) return;
    if (!got && reused && (job.body === null || Buffer.isBuffer(job.body))) { finish({ kind: 'retry', error: lastError }, false); return; }
    fail(502, lastError.slice(0, 200));
  };
  const onTimeout = (): void => {
    if (head === null) fail(504, `upstream sent no response head within ${job.headersMs} ms`);
    else fail(502, `upstream body stalled for ${job.bodyMs} ms`);
  };
  const onResClose = (): void => {
    if (!res.writableFinished) finish({ kind: 'error', status: 502, error: 'client closed the connection', responded: true }, false);
  };
  const onSocketDrain = (): void => { if (job.body !== null && !Buffer.isBuffer(job.body)) job.body.resume(); };
  const onBodyData = (c: Buffer): void => {
    const ok = job.chunked ? (socket.write(`${c.length.toString(16)}\r\n`, 'latin1'), socket.write(c), socket.write('\r\n', 'latin1')) : socket.write(c);
    if (!ok) (job.body as Readable).pause();
  };
  const onBodyEnd = (): void => { bodySent = true; if (job.chunked) socket.write('0\r\n\r\n', 'latin1'); };
  const onBodyError = (e: Error & { code?: string }): void => {
    if (e.code === 'JIRACHI_BODY_TOO_LARGE' && head === null) { finish({ kind: 'error', status: 413, error: e.message, responded: false }, false); return; }
    fail(502, `request body: ${e.message}`.slice(0, 200));
  };

  socket.on('data', onData); socket.on('end', onEnd); socket.on('error', onError); socket.on('close', onClose);
  socket.on('timeout', onTimeout);
  socket.setTimeout(job.headersMs);
  res.on('close', onResClose);
  socket.resume();
  const body = job.body;
  if (body === null) socket.write(job.head, 'latin1');
  else if (Buffer.isBuffer(body)) { socket.cork(); socket.write(job.head, 'latin1'); socket.write(body); socket.uncork(); }
  else {
    bodySent = false;
    socket.write(job.head, 'latin1');
    socket.on('drain', onSocketDrain);
    body.on('data', onBodyData); body.on('end', onBodyEnd); body.on('error', onBodyError);
  }
}
