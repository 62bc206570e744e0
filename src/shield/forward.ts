// Forwarding to the upstream over pooled HTTP/1.1 connections, streaming both ways; maps faults to 502/504.

import type { Readable } from 'node:stream';
import type { ShieldConfig } from '../config/index.js';
import { runExchange, type ExchangeJob, type ExchangeResult, type ForwardOutcome } from './h1-exchange.js';
import { ConnectionPool } from './h1-pool.js';
import type { ShieldRequest, ShieldResponse } from './message.js';

export type { ForwardOutcome } from './h1-exchange.js';

/** Upstream connection settings. */
export interface UpstreamOptions {
  readonly url: URL;
  readonly connections: number;
  readonly connectMs: number;
  readonly headersMs: number;
  readonly bodyMs: number;
}

/** Methods that RFC 9110 §9.2.2 makes safe to resend after a stale keep-alive connection died unanswered. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** Methods whose requests carry a body by definition: an empty one is sent as Content-Length: 0. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const MAX_HEAD_BYTES = 64 * 1024;
const KEEP_ALIVE_MS = 4_000;

/**
 * The exchange ended before the client's body was read whole (the upstream answered early, the
 * client stalled or left): stop reading it and close the client connection once the response is
 * out, instead of leaving a half-read body to stall the next request on that connection.
 */
function abandonBody(req: ShieldRequest, res: ShieldResponse, body: Readable): void {
  // Not body.destroy(): that would destroy the request and with it the socket, cutting the response.
  body.pause();
  if (!res.headersSent) res.shouldKeepAlive = false;
  const close = (): void => { req.socket.destroySoon(); };
  if (res.writableFinished || res.destroyed) close(); else res.once('finish', close);
}

/** A keep-alive connection pool to one upstream origin, and the request serialization for it. */
export class Upstream {
  private readonly pool: ConnectionPool;
  private readonly basePath: string;
  private readonly hostHeader: string;

  constructor(readonly o: UpstreamOptions) {
    const tls = o.url.protocol === 'https:';
    const host = o.url.hostname.startsWith('[') ? o.url.hostname.slice(1, -1) : o.url.hostname;
    // Deadlines are checked at a quarter of the shortest timeout (10-250 ms granularity).
    const sweepMs = Math.max(10, Math.min(250, Math.floor(Math.min(o.headersMs, o.bodyMs, KEEP_ALIVE_MS) / 4)));
    this.pool = new ConnectionPool({ host, port: Number(o.url.port || (tls ? 443 : 80)), tls, connections: o.connections, connectMs: o.connectMs, keepAliveMs: KEEP_ALIVE_MS, sweepMs, queueMs: o.headersMs });
    this.basePath = o.url.pathname === '/' ? '' : o.url.pathname.replace(/\/$/, '');
    this.hostHeader = o.url.host;
  }

  /**
   * Sends the request (`headers` flat, hop-by-hop already removed) and streams the response into
   * `res`. Never rejects: failures before the response started come back as 502 (refused, reset,
   * malformed answer), 504 (connect or response-head timeout) or 413 (body over the limit while
   * streaming); failures mid-response destroy `res` (the client sees a truncated response).
   */
  forward(req: ShieldRequest, res: ShieldResponse, headers: readonly string[], body: Buffer | Readable | null, onHead?: (status: number) => void): Promise<ForwardOutcome> {
    const method = req.method;
    const stream = body !== null && !Buffer.isBuffer(body) ? body : null;
    const streamLength = stream ? req.headers['content-length'] : undefined;
    const job: ExchangeJob = {
      head: this.serializeHead(method, req.url, headers, body, streamLength),
      body, chunked: stream !== null && streamLength === undefined, method, res,
      headersMs: this.o.headersMs, bodyMs: this.o.bodyMs, maxHeadBytes: MAX_HEAD_BYTES, onHead,
    };
    return new Promise<ForwardOutcome>((resolve) => {
      const attempt = (retried: boolean): void => {
        this.pool.acquire((err, conn, reused) => {
          if (err || !conn) { resolve({ kind: 'error', status: err?.timeout ? 504 : 502, error: `${err?.code}: ${err?.message}`.slice(0, 200), responded: false }); return; }
          if (res.destroyed) { this.pool.release(conn, true); resolve({ kind: 'error', status: 502, error: 'client closed the connection', responded: true, clientGone: true }); return; }
          runExchange(conn, reused, job, (r: ExchangeResult, reusable, bodySent) => {
            this.pool.release(conn, reusable);
            if (!bodySent && stream) abandonBody(req, res, stream);
            if (r.kind !== 'retry') { resolve(r); return; }
            if (!retried && IDEMPOTENT.has(method)) { attempt(true); return; }
            resolve({ kind: 'error', status: 502, error: r.error.slice(0, 200), responded: false });
          });
        });
      };
      attempt(false);
    });
  }

  /** The request target on the upstream: its base path (from the upstream URL) + the client's target. */
  target(url: string): string { return this.basePath + url; }

  private serializeHead(method: string, url: string, headers: readonly string[], body: Buffer | Readable | null, streamLength: string | undefined): string {
    let head = `${method} ${this.target(url)} HTTP/1.1\r\n`;
    let host = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const c = name.charCodeAt(0) | 0x20;
      if (c === 0x63 /* c */ && name.length === 14 && name.toLowerCase() === 'content-length') continue;
      if (c === 0x68 /* h */ && name.length === 4 && name.toLowerCase() === 'host') host = true;
      head += `${name}: ${headers[i + 1]}\r\n`;
    }
    if (!host) head += `host: ${this.hostHeader}\r\n`;
    if (Buffer.isBuffer(body)) head += `content-length: ${body.length}\r\n`;
    else if (body !== null) head += streamLength !== undefined ? `content-length: ${streamLength}\r\n` : 'transfer-encoding: chunked\r\n';
    else if (BODY_METHODS.has(method)) head += 'content-length: 0\r\n';
    return head + '\r\n';
  }

  /** The pool a config asks for. */
  static fromConfig(cfg: Pick<ShieldConfig, 'upstream' | 'upstreamConnections' | 'upstreamTimeouts'>): Upstream {
    return new Upstream({ url: new URL(cfg.upstream), connections: cfg.upstreamConnections, ...cfg.upstreamTimeouts });
  }

  /** Closes idle connections and waits for in-flight requests. */
  close(): Promise<void> { return this.pool.close(); }
}
