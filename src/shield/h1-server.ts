// The shield's own HTTP/1.1 server for the common request, in front of node:http on the same port.
//
// Each accepted connection is read here first. While every request on it arrives whole (head and
// Content-Length body in the bytes at hand) in the strict subset `recognizeRequest` accepts, it is
// served here: no llhttp, no IncomingMessage/ServerResponse. At the first request that is anything
// else (chunked, Expect, Upgrade, a head or body split over reads, anything odd or malformed), the
// connection is handed to node:http for the rest of its life with the unread bytes put back, so every
// refusal, timeout and streaming rule of node:http applies unchanged. See docs/SHIELD.md.

import type http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { FastResponse, type ResponseOwner } from './h1-fast-response.js';
import { nodeHeaders, recognizeRequest, type FastRequestHead, type RecognizeLimits } from './h1-request.js';
import type { ShieldRequest, ShieldResponse } from './message.js';
import { isoNow, publishProtocolError } from '../telemetry/index.js';

/** Settings read per request (they follow config reloads). */
export interface FastServerSettings {
  readonly limits: RecognizeLimits;
  /** Idle keep-alive timeout (ms), as node:http's keepAliveTimeout. */
  readonly idleMs: number;
  /** How long a request may take to arrive whole here (ms) before it goes to node:http; `limits.headersTimeoutMs`. */
  readonly headersMs: number;
}

/** Counts of what the fast server did (for status and tests). */
export interface FastServerStats {
  /** Requests served by the fast server. */
  served: number;
  /** Connections handed to node:http. */
  handedOff: number;
}

/** How much a busy connection buffers of the requests pipelined behind the current one before pausing. */
const PIPELINE_HIGH_WATER = 64 * 1024;
/** Reads a request may arrive in before the connection goes to node:http. */
const MAX_PARTIAL_READS = 8;
/**
 * How long a request may take to arrive whole here (at most a quarter of `headersTimeoutMs`): node:http
 * starts its own header timer at the hand-off, so a slowloris is cut off within 1.25× that timeout.
 */
const MAX_PARTIAL_WAIT_MS = 1000;

/** Most pipelined requests of a departed client that still get a verdict event. */
const MAX_DEPARTED = 64;

/** Bytes other than the CR and LF that may separate requests. */
function hasRequestBytes(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i] !== 0x0d && buf[i] !== 0x0a) return true;
  return false;
}

/** A request served by the fast server: its whole body is already in memory. */
class FastRequest implements ShieldRequest {
  readonly httpVersion = '1.1';
  readonly stream = null;
  private h: IncomingHttpHeaders | undefined;
  constructor(readonly method: string, readonly url: string, readonly rawHeaders: readonly string[], readonly socket: Socket, readonly body: Buffer | null) {}
  get headers(): IncomingHttpHeaders { return (this.h ??= nodeHeaders(this.rawHeaders)); }
}

/** One client connection on the fast server, until it closes or is handed to node:http. */
class FastConnection implements ResponseOwner {
  private buf: Buffer | null = null;
  private current: FastResponse | null = null;
  private clientEnded = false;
  /** Paused until the client reads the answers queued for it. */
  private awaitingDrain = false;
  /** Reads so far of a request that has not arrived whole, and when its first bytes came. */
  private partialReads = 0;
  private partialSince = 0;
  private gone = false;
  closing = false;
  /** The idle timeout in force (re-read after each answer, so reloads reach open connections). */
  idleMs: number;

  constructor(readonly socket: Socket, private readonly server: FastServer) {
    this.idleMs = server.settings().idleMs;
    socket.setNoDelay(true);
    socket.setTimeout(this.idleMs);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    socket.on('timeout', this.onTimeout);
    socket.on('drain', this.onDrain);
  }

  private readonly onData = (d: Buffer): void => {
    this.buf = this.buf === null ? d : Buffer.concat([this.buf, d]);
    if (this.current === null && !this.awaitingDrain) this.next();
    else if (this.buf.length > PIPELINE_HIGH_WATER) this.socket.pause();
  };

  /** Serves the next buffered request, hands the connection over, or waits for bytes. */
  private next(): void {
    const buf = this.buf;
    if (buf === null || this.gone) return;
    const settings = this.server.settings();
    const r = recognizeRequest(buf, settings.limits);
    if (r.kind === 'partial' && this.waitForRest(settings.headersMs)) return;
    if (r.kind !== 'request') { this.handOff(); return; }
    if (this.partialReads > 0) { this.partialReads = 0; this.socket.setTimeout(this.idleMs); }
    this.buf = r.head.end < buf.length ? buf.subarray(r.head.end) : null;
    this.serve(r.head, buf);
  }

  /** The request a recognized head (and its body in `buf`) describes. */
  private requestOf(h: FastRequestHead, buf: Buffer): FastRequest {
    return new FastRequest(h.method, h.url, h.rawHeaders, this.socket, h.end > h.bodyStart ? buf.subarray(h.bodyStart, h.end) : null);
  }

  private serve(h: FastRequestHead, buf: Buffer): void {
    const req = this.requestOf(h, buf);
    const res = new FastResponse(this, h.method === 'HEAD', !h.close && !this.clientEnded && !this.closing);
    this.current = res;
    this.server.stats.served++;
    this.server.handler(req, res);
  }

  /**
   * A request split over reads (a head over two TCP segments, a client that sends head and body in two
   * writes) waits here for its rest: at most MAX_PARTIAL_READS reads and `headersMs` since its first
   * bytes. A client trickling its request slower than that is handed to node:http, whose header and
   * request timeouts then apply (slowloris).
   */
  private waitForRest(headersMs: number): boolean {
    const now = Date.now();
    const budget = Math.min(MAX_PARTIAL_WAIT_MS, Math.floor(headersMs / 4));
    if (this.partialReads === 0) {
      this.partialSince = now;
      // Silence while waiting ends the wait too (onTimeout hands the connection over).
      this.socket.setTimeout(Math.max(1, Math.min(this.idleMs, budget)));
    }
    return ++this.partialReads <= MAX_PARTIAL_READS && now - this.partialSince < budget;
  }

  /** Called on the tick after a response ended: emit its events, then the next request or close. */
  responseEnded(res: FastResponse): void {
    if (this.current !== res) return;
    res.emit('finish');
    res.emitClose();
    this.current = null;
    if (this.gone) return;
    // As llhttp (strict): nothing after a closing request is read, let alone run through the pipeline.
    if (!res.shouldKeepAlive) { this.buf = null; this.socket.destroySoon(); return; }
    const idle = this.server.settings().idleMs;
    if (idle !== this.idleMs) { this.idleMs = idle; this.socket.setTimeout(idle); }
    // The client is not reading its answers: read no more requests until it does (memory stays bounded).
    if (this.socket.writableNeedDrain) { this.awaitingDrain = true; this.socket.pause(); return; }
    this.proceed();
  }

  /** Reads on: the next buffered request, or more bytes. */
  private proceed(): void {
    if (this.socket.isPaused()) this.socket.resume();
    if (this.buf !== null) this.next();
    else if (this.closing) this.socket.destroySoon();
  }

  /** Gives the connection, with its unread bytes, to node:http. */
  private handOff(): void {
    const s = this.socket;
    this.detach();
    this.server.stats.handedOff++;
    s.pause();
    if (this.buf !== null) s.unshift(this.buf);
    this.buf = null;
    this.server.handOff(s);
    s.resume();
  }

  private detach(): void {
    const s = this.socket;
    this.gone = true;
    s.setTimeout(0);
    s.off('data', this.onData); s.off('end', this.onEnd); s.off('close', this.onClose); s.off('error', this.onError); s.off('timeout', this.onTimeout); s.off('drain', this.onDrain);
    this.server.forget(this);
  }

  // As node:http (without httpAllowHalfOpen): a client that ends its side has left; what it sent
  // still gets a verdict event (see onClose), but no answer.
  private readonly onEnd = (): void => {
    this.clientEnded = true;
    // Bytes of a request that never arrived whole: 400, as node:http answers a truncated request
    // (it ignores line ends between requests).
    if (this.current === null && this.buf !== null && hasRequestBytes(this.buf) && this.socket.writable) {
      publishProtocolError({ time: isoNow(), clientIp: this.socket.remoteAddress ?? '', code: 'HPE_INVALID_EOF_STATE', status: 400, message: 'the client ended the connection in the middle of a request' });
      this.buf = null;
      this.socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n', 'latin1');
      return;
    }
    if (this.socket.writable) this.socket.end();
  };

  private readonly onClose = (): void => {
    const res = this.current;
    const left = this.buf;
    this.detach();
    this.current = null;
    this.buf = null;
    res?.emitClose();
    if (left !== null) this.departed(left);
  };

  /**
   * Whole requests the client sent behind the current one before it left go through the pipeline with
   * a response that is already closed (node:http dispatches pipelined requests as it parses them), so
   * each still gets its verdict event; at most MAX_DEPARTED of them.
   */
  private departed(buf: Buffer): void {
    for (let n = 0; n < MAX_DEPARTED && buf.length; n++) {
      const r = recognizeRequest(buf, this.server.settings().limits);
      if (r.kind !== 'request') return;
      const h = r.head;
      const req = this.requestOf(h, buf);
      const res = new FastResponse(this, h.method === 'HEAD', false);
      res.destroyed = true;
      this.server.stats.served++;
      this.server.handler(req, res);
      res.emitClose();
      buf = buf.subarray(h.end);
    }
  }

  private readonly onError = (): void => { /* 'close' follows */ };

  // Idle: close a kept-alive connection; a request still arriving goes to node:http (it answers 408).
  private readonly onTimeout = (): void => {
    if (this.current !== null) return;
    if (this.buf !== null) this.handOff(); else this.socket.destroy();
  };

  private readonly onDrain = (): void => {
    if (this.awaitingDrain) { this.awaitingDrain = false; if (this.current === null && !this.gone) this.proceed(); return; }
    this.current?.emit('drain');
  };

  /** Closes the connection now if no request is in flight; otherwise after the current response. */
  closeWhenIdle(): void {
    this.closing = true;
    if (this.current !== null) return;
    // A request still arriving goes to node:http, whose shutdown drains it like any other.
    if (this.buf !== null && hasRequestBytes(this.buf)) this.handOff(); else this.socket.destroy();
  }
}

/**
 * Puts the fast server in front of a node:http server: takes over its `connection` event and hands
 * it the connections the fast server does not serve. The node:http server keeps listening, tracking
 * (timeouts) and closing what it was handed; `closeIdle`/`closeAll` close the fast server's own.
 */
export class FastServer {
  readonly stats: FastServerStats = { served: 0, handedOff: 0 };
  private readonly conns = new Set<FastConnection>();
  private stopping = false;

  private constructor(
    private readonly server: http.Server,
    private readonly nodeListener: (socket: Socket) => void,
    readonly settings: () => FastServerSettings,
    readonly handler: (req: ShieldRequest, res: ShieldResponse) => void,
  ) {}

  /**
   * Attaches to `server` (before it listens). Null when the server's `connection` listeners are not the
   * one node:http installs (another layer took it over): then node:http serves everything.
   */
  static attach(server: http.Server, settings: () => FastServerSettings, handler: (req: ShieldRequest, res: ShieldResponse) => void): FastServer | null {
    const ls = server.listeners('connection');
    if (ls.length !== 1) return null;
    const nodeListener = ls[0] as (socket: Socket) => void;
    const fast = new FastServer(server, nodeListener, settings, handler);
    server.removeListener('connection', nodeListener);
    server.on('connection', (socket: Socket) => fast.accept(socket));
    return fast;
  }

  private accept(socket: Socket): void {
    // Read the peer now: Node keeps it only if read while connected (see pipeline.ts, `no-peer`).
    void socket.remoteAddress;
    if (this.stopping) { this.handOff(socket); return; }
    this.conns.add(new FastConnection(socket, this));
  }

  /** Hands a socket to node:http's own connection handling. */
  handOff(socket: Socket): void { this.nodeListener.call(this.server, socket); }

  forget(c: FastConnection): void { this.conns.delete(c); }

  /** Connections currently served here. */
  get connections(): number { return this.conns.size; }

  /** Stop serving new connections here; close the idle ones, the busy ones after their response. */
  closeIdle(): void {
    this.stopping = true;
    for (const c of this.conns) c.closeWhenIdle();
  }

  /** Destroys every connection still served here. */
  closeAll(): void {
    this.stopping = true;
    for (const c of [...this.conns]) c.socket.destroy();
  }
}
