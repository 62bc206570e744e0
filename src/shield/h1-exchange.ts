// One request/response exchange on a pooled upstream connection, streaming the response into the client's ShieldResponse.

import type { ShieldResponse } from './message.js';
import type { Readable } from 'node:stream';
import { BodyReader, parseResponseHead, type ResponseHead } from './h1-response.js';
import type { ConnHandler, PooledConnection } from './h1-pool.js';
import { downstreamRawHeaders } from './headers.js';

/** What to send: the serialized head (latin1) and the body. */
export interface ExchangeJob {
  readonly head: string;
  readonly body: Buffer | Readable | null;
  /** Send a streamed body with chunked coding (no Content-Length known). */
  readonly chunked: boolean;
  readonly method: string;
  readonly res: ShieldResponse;
  readonly headersMs: number;
  readonly bodyMs: number;
  readonly maxHeadBytes: number;
  /** Called with the status once the final response head is in, before it goes to the client. */
  readonly onHead?: ((status: number) => void) | undefined;
}

/** How a forward ended (what the pipeline sees). */
export type ForwardOutcome =
  | { readonly kind: 'ok'; readonly status: number }
  | { readonly kind: 'error'; readonly status: 502 | 504 | 413 | 408; readonly error: string; readonly responded: boolean; readonly clientGone?: true };

/** How an exchange ended. `retry`: the reused connection was dead before any answer; safe to resend. */
export type ExchangeResult = ForwardOutcome | { readonly kind: 'retry'; readonly error: string };

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Runs one exchange on a pooled connection and calls `done` exactly once with the outcome, whether
 * the connection can carry another request, and whether the request body was sent whole (if not,
 * the caller must not keep the client connection: its unread body would stall it). Timeouts are the connection's deadline:
 * headersMs for the answer's head, then bodyMs without progress (which also cuts a client that
 * stops reading, since a paused upstream makes no progress). Never throws.
 */
export function runExchange(conn: PooledConnection, reused: boolean, job: ExchangeJob, done: (r: ExchangeResult, reusable: boolean, bodySent: boolean) => void): void {
  new Exchange(conn, reused, job, done).start();
}

class Exchange implements ConnHandler {
  private acc: Buffer | null = null;
  private got = false;
  private reader: BodyReader | null = null;
  private head: ResponseHead | null = null;
  private bodySent: boolean;
  private finished = false;
  private paused = false;
  private lastError = 'upstream closed the connection';
  private readonly stream: Readable | null;

  constructor(private readonly conn: PooledConnection, private readonly reused: boolean, private readonly job: ExchangeJob, private readonly done: (r: ExchangeResult, reusable: boolean, bodySent: boolean) => void) {
    this.stream = job.body !== null && !Buffer.isBuffer(job.body) ? job.body : null;
    this.bodySent = this.stream === null;
  }

  start(): void {
    const { socket } = this.conn;
    const job = this.job;
    this.conn.handler = this;
    job.res.on('close', this.onResClose);
    const body = job.body;
    if (body === null) { this.conn.deadline = Date.now() + job.headersMs; socket.write(job.head, 'latin1'); return; }
    if (this.stream === null) {
      this.conn.deadline = Date.now() + job.headersMs;
      socket.cork(); socket.write(job.head, 'latin1'); socket.write(body as Buffer); socket.uncork();
      return;
    }
    this.conn.deadline = Date.now() + job.bodyMs;
    socket.write(job.head, 'latin1');
    this.stream.on('data', this.onBodyData); this.stream.on('end', this.onBodyEnd); this.stream.on('error', this.onBodyError);
  }

  onData(d: Buffer): void {
    this.got = true;
    if (this.reader) { this.conn.deadline = Date.now() + this.job.bodyMs; this.feed(d); return; }
    let from = this.acc ? Math.max(0, this.acc.length - 3) : 0;
    let acc = this.acc ? Buffer.concat([this.acc, d]) : d;
    for (;;) {
      const end = acc.indexOf(CRLFCRLF, from);
      if (end < 0) {
        if (acc.length > this.job.maxHeadBytes) { this.fail(502, `upstream response head over ${this.job.maxHeadBytes} bytes`); return; }
        this.acc = acc;
        return;
      }
      const parsed = parseResponseHead(acc.toString('latin1', 0, end), this.job.method);
      if (!parsed.ok) { this.fail(502, `upstream response: ${parsed.error}`); return; }
      const rest = acc.subarray(end + 4);
      if (parsed.head.status >= 200) { this.acc = null; this.startBody(parsed.head, rest); return; }
      // Interim responses (100 Continue, 103 Early Hints) are consumed here; 101 was never asked for.
      if (parsed.head.status === 101) { this.fail(502, 'upstream switched protocols without an upgrade request'); return; }
      acc = rest;
      from = 0;
      this.acc = null;
      if (!acc.length) return;
    }
  }

  onEnd(): void {
    if (this.head !== null && this.head.framing.kind === 'close') { this.complete(0); return; }
    this.onClose();
  }

  onError(e: NodeJS.ErrnoException): void { this.lastError = `${e.code ?? 'error'}: ${e.message}`; }

  onClose(): void {
    if (this.finished) return;
    if (!this.got && this.reused && this.stream === null) { this.finish({ kind: 'retry', error: this.lastError }, false); return; }
    this.fail(502, this.lastError.slice(0, 200));
  }

  onDrain(): void { this.stream?.resume(); }

  onTimeout(): void {
    if (this.head !== null) this.fail(502, this.paused ? `client read nothing for ${this.job.bodyMs} ms` : `upstream body stalled for ${this.job.bodyMs} ms`);
    else if (!this.bodySent) this.finish({ kind: 'error', status: 408, error: `client sent no request body bytes for ${this.job.bodyMs} ms`, responded: this.job.res.destroyed }, false);
    else this.fail(504, `upstream sent no response head within ${this.job.headersMs} ms`);
  }

  private startBody(h: ResponseHead, rest: Buffer): void {
    const res = this.job.res;
    this.head = h;
    this.job.onHead?.(h.status);
    try {
      res.writeHead(h.status, downstreamRawHeaders(h.headers, h.framing.kind === 'chunked' || h.framing.kind === 'close'));
    } catch (e) {
      this.head = null;
      this.fail(502, `upstream response not forwardable: ${(e as Error).message}`.slice(0, 200));
      return;
    }
    this.conn.deadline = Date.now() + this.job.bodyMs;
    const f = h.framing;
    // The usual small answer: the whole body came with the head; one end() writes it all.
    if (f.kind === 'length' && rest.length >= f.length) { this.complete(rest.length - f.length, rest.subarray(0, f.length)); return; }
    this.reader = new BodyReader(f, this.emit);
    if (this.reader.done) { this.complete(rest.length); return; }
    if (rest.length) this.feed(rest);
  }

  private feed(buf: Buffer): void {
    const r = this.reader!.feed(buf);
    if (r.error) this.fail(502, `upstream body: ${r.error}`);
    else if (r.done) this.complete(r.extra);
  }

  private readonly emit = (chunk: Buffer): void => {
    if (!this.job.res.write(chunk) && !this.paused) {
      this.paused = true;
      this.conn.socket.pause();
      this.job.res.once('drain', this.onResDrain);
    }
  };

  private readonly onResDrain = (): void => { if (this.paused) { this.paused = false; this.conn.socket.resume(); } };

  private complete(extra: number, last?: Buffer): void {
    const reusable = this.head!.reusable && extra === 0 && this.bodySent;
    if (last !== undefined) this.job.res.end(last); else this.job.res.end();
    this.finish({ kind: 'ok', status: this.head!.status }, reusable);
  }

  private fail(status: 502 | 504, error: string): void {
    const res = this.job.res;
    if (this.head !== null) { res.destroy(); this.finish({ kind: 'error', status: 502, error, responded: true }, false); return; }
    this.finish({ kind: 'error', status, error, responded: res.destroyed }, false);
  }

  private finish(r: ExchangeResult, reusable: boolean): void {
    if (this.finished) return;
    this.finished = true;
    const res = this.job.res;
    res.off('close', this.onResClose);
    res.off('drain', this.onResDrain);
    if (this.stream) { this.stream.off('data', this.onBodyData); this.stream.off('end', this.onBodyEnd); this.stream.off('error', this.onBodyError); }
    if (this.paused) { this.paused = false; this.conn.socket.resume(); }
    this.done(r, reusable, this.bodySent);
  }

  private readonly onResClose = (): void => {
    if (!this.job.res.writableFinished) this.finish({ kind: 'error', status: 502, error: 'client closed the connection', responded: true, clientGone: true }, false);
  };

  private readonly onBodyData = (c: Buffer): void => {
    const socket = this.conn.socket;
    this.conn.deadline = Date.now() + this.job.bodyMs;
    let ok: boolean;
    if (this.job.chunked) { socket.write(`${c.length.toString(16)}\r\n`, 'latin1'); socket.write(c); ok = socket.write('\r\n', 'latin1'); } else ok = socket.write(c);
    if (!ok) this.stream!.pause();
  };

  private readonly onBodyEnd = (): void => {
    this.bodySent = true;
    if (this.job.chunked) this.conn.socket.write('0\r\n\r\n', 'latin1');
    if (this.head === null) this.conn.deadline = Date.now() + this.job.headersMs;
  };

  private readonly onBodyError = (e: Error & { code?: string }): void => {
    if (e.code === 'JIRACHI_BODY_TOO_LARGE' && this.head === null) { this.finish({ kind: 'error', status: 413, error: e.message, responded: false }, false); return; }
    this.fail(502, `request body: ${e.message}`.slice(0, 200));
  };
}
