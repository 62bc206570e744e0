// The answer to a request the fast server serves: written straight to the socket with node:http's framing rules.

import { EventEmitter } from 'node:events';
import http, { type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { closesConnection, isToken } from './h1-syntax.js';
import type { ShieldResponse } from './message.js';

/** The connection a FastResponse belongs to (src/shield/h1-server.ts). */
export interface ResponseOwner {
  readonly socket: Socket;
  /** The server is stopping: answer with `Connection: close`. */
  readonly closing: boolean;
  /** The idle timeout announced in `Keep-Alive`. */
  readonly idleMs: number;
  /** Called on the tick after the response ended. */
  responseEnded(res: FastResponse): void;
}

let dateSecond = -1;
let dateText = '';
/** The Date header value, rebuilt once a second. */
function httpDate(): string {
  const now = Date.now();
  const sec = Math.floor(now / 1000);
  if (sec !== dateSecond) { dateSecond = sec; dateText = new Date(now).toUTCString(); }
  return dateText;
}

/** node:http rejects these characters in header values (`checkInvalidHeaderChar`). */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * The response to a fast request, written straight to the socket with node:http's framing rules:
 * Content-Length when given, else chunked (no body for HEAD, 1xx, 204, 304), Date, and Connection /
 * Keep-Alive. The head goes out with the first body bytes in one write.
 */
export class FastResponse extends EventEmitter implements ShieldResponse {
  statusCode = 200;
  headersSent = false;
  destroyed = false;
  writableFinished = false;
  shouldKeepAlive: boolean;
  private head = '';
  private chunked = false;
  private bodyAllowed = true;
  private ended = false;
  private closed = false;

  constructor(private readonly conn: ResponseOwner, private readonly isHead: boolean, keepAlive: boolean) {
    super();
    this.shouldKeepAlive = keepAlive;
  }

  writeHead(status: number, headers: OutgoingHttpHeaders | string[]): this {
    if (this.headersSent || this.head) throw new Error('headers already sent');
    let h = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'unknown'}\r\n`;
    let length = false, date = false, connection = false;
    const add = (name: string, value: string): void => {
      if (!isToken(name)) throw new Error(`invalid header name ${JSON.stringify(name.slice(0, 40))}`);
      if (INVALID_VALUE.test(value)) throw new Error(`invalid character in header ${name}`);
      const lower = name.length === 4 || name.length === 10 || name.length === 14 || name.length === 17 ? name.toLowerCase() : '';
      if (lower === 'content-length') length = true;
      else if (lower === 'date') date = true;
      else if (lower === 'transfer-encoding') throw new Error('transfer-encoding is set by the server');
      else if (lower === 'connection') { connection = true; if (closesConnection(value)) this.shouldKeepAlive = false; }
      h += `${name}: ${value}\r\n`;
    };
    if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i]!, headers[i + 1]!);
    else {
      for (const name of Object.keys(headers)) {
        const v = (headers as OutgoingHttpHeaders)[name];
        if (v === undefined) continue;
        if (Array.isArray(v)) for (const x of v) add(name, String(x)); else add(name, String(v));
      }
    }
    this.bodyAllowed = !this.isHead && status >= 200 && status !== 204 && status !== 304;
    this.chunked = this.bodyAllowed && !length;
    if (this.chunked) h += 'Transfer-Encoding: chunked\r\n';
    if (!date) h += `Date: ${httpDate()}\r\n`;
    if (this.conn.closing) this.shouldKeepAlive = false;
    if (!connection) h += this.shouldKeepAlive ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(this.conn.idleMs / 1000)}\r\n` : 'Connection: close\r\n';
    this.statusCode = status;
    this.head = h + '\r\n';
    return this;
  }

  write(chunk: Buffer): boolean {
    if (this.ended || this.destroyed) return false;
    const s = this.conn.socket;
    s.cork();
    this.sendHead();
    this.body(chunk);
    s.uncork();
    return !s.writableNeedDrain;
  }

  end(chunk?: Buffer | string): this {
    if (this.ended || this.destroyed) return this;
    this.ended = true;
    const s = this.conn.socket;
    s.cork();
    this.sendHead();
    if (chunk !== undefined) this.body(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (this.chunked) s.write('0\r\n\r\n', 'latin1');
    s.uncork();
    this.writableFinished = true;
    process.nextTick(() => this.conn.responseEnded(this));
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.conn.socket.destroy();
    return this;
  }

  writeContinue(): void {
    if (!this.headersSent && !this.destroyed) this.conn.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
  }

  /** Emits `close` once: after `finish`, or when the connection went away first. */
  emitClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.destroyed = true;
    this.emit('close');
  }

  private sendHead(): void {
    if (this.headersSent) return;
    if (!this.head) this.writeHead(this.statusCode, []);
    this.headersSent = true;
    this.conn.socket.write(this.head, 'latin1');
    this.head = '';
  }

  private body(chunk: Buffer): void {
    if (!this.bodyAllowed || chunk.length === 0) return;
    const s = this.conn.socket;
    if (this.chunked) { s.write(`${chunk.length.toString(16)}\r\n`, 'latin1'); s.write(chunk); s.write('\r\n', 'latin1'); } else s.write(chunk);
  }
}

