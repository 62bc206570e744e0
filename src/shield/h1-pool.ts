// Keep-alive connection pool to one upstream origin (plain TCP or TLS): capped, connect timeout, idle expiry, deadline sweeper.

import net from 'node:net';
import tls from 'node:tls';

/** Pool settings. */
export interface PoolOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** Most open connections; further requests wait in FIFO order. */
  readonly connections: number;
  readonly connectMs: number;
  /** An idle connection is closed after this long (shorter than common upstream keep-alive timeouts). */
  readonly keepAliveMs: number;
  /** How often deadlines are checked (the granularity of every timeout on pooled connections). */
  readonly sweepMs: number;
  /** Longest wait for a free connection when all are busy; then the request fails as a timeout. */
  readonly queueMs: number;
}

/** Why a connection could not be had. */
export interface ConnectError { readonly code: string; readonly message: string; readonly timeout: boolean }

/** Whoever holds a connection gets its socket events through this (listeners are installed once per socket). */
export interface ConnHandler {
  onData(d: Buffer): void;
  onEnd(): void;
  onError(e: NodeJS.ErrnoException): void;
  onClose(): void;
  onDrain(): void;
  /** The deadline set on the connection passed. */
  onTimeout(): void;
}

/**
 * One pooled connection. Its socket listeners are installed once and dispatch to the current
 * handler; without one (idle), any byte or EOF from the upstream closes it. `deadline` (ms since
 * epoch, 0 = none) is checked by the pool's sweeper, so no timer is armed per request.
 */
export class PooledConnection {
  handler: ConnHandler | null = null;
  deadline = 0;

  constructor(readonly socket: net.Socket, onClosed: (c: PooledConnection) => void) {
    socket.on('data', (d: Buffer) => { if (this.handler) this.handler.onData(d); else socket.destroy(); });
    socket.on('end', () => { if (this.handler) this.handler.onEnd(); else socket.destroy(); });
    socket.on('error', (e: NodeJS.ErrnoException) => { this.handler?.onError(e); });
    socket.on('drain', () => { this.handler?.onDrain(); });
    socket.on('close', () => { onClosed(this); this.handler?.onClose(); });
  }

  /** Usable for another request. */
  get open(): boolean { return !this.socket.destroyed && this.socket.readyState === 'open'; }
}

/** Receives a connection (reused: it carried an earlier request) or the reason there is none. */
export type Acquired = (err: ConnectError | null, conn: PooledConnection | null, reused: boolean) => void;

/**
 * A bounded pool of HTTP/1.1 connections, one request at a time on each. Idle connections are kept
 * LIFO (the most recently used is warmest) and dropped when the upstream closes them, sends unsolicited
 * bytes, or they sit idle past keepAliveMs.
 */
export class ConnectionPool {
  private readonly idle: PooledConnection[] = [];
  private readonly all = new Set<PooledConnection>();
  private readonly waiters: Array<{ readonly cb: Acquired; readonly deadline: number }> = [];
  private connecting = 0;
  private closing = false;
  private readonly drained: Array<() => void> = [];
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly o: PoolOptions) {
    this.sweeper = setInterval(() => this.sweep(), o.sweepMs);
    this.sweeper.unref();
  }

  /** Calls back with a connection as soon as one is free (at once if one is idle). */
  acquire(cb: Acquired): void {
    if (this.closing) { cb({ code: 'ECLOSED', message: 'upstream pool closed', timeout: false }, null, false); return; }
    while (this.idle.length) {
      const c = this.idle.pop()!;
      if (!c.open) continue;
      c.deadline = 0;
      cb(null, c, true);
      return;
    }
    if (this.all.size + this.connecting < this.o.connections) this.connect(cb);
    else this.waiters.push({ cb, deadline: Date.now() + this.o.queueMs });
  }

  /** Returns a connection after a request: kept for reuse if `reusable`, else closed. */
  release(c: PooledConnection, reusable: boolean): void {
    c.handler = null;
    if (!reusable || !c.open || (this.closing && this.waiters.length === 0)) { c.deadline = 0; c.socket.destroy(); return; }
    const next = this.waiters.shift();
    if (next) { c.deadline = 0; next.cb(null, c, true); return; }
    c.deadline = Date.now() + this.o.keepAliveMs;
    this.idle.push(c);
  }

  /**
   * Closes idle connections now; requests already waiting are still served by the busy connections
   * as they come free (a config reload must not fail them). Resolves when every connection is closed.
   */
  close(): Promise<void> {
    this.closing = true;
    for (const c of this.idle.splice(0)) c.socket.destroy();
    if (this.all.size + this.connecting === 0) { clearInterval(this.sweeper); return Promise.resolve(); }
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private sweep(): void {
    const now = Date.now();
    // Waiters are FIFO with one wait limit, so their deadlines are in order.
    while (this.waiters.length && this.waiters[0]!.deadline <= now) {
      this.waiters.shift()!.cb({ code: 'EQUEUETIMEOUT', message: `no upstream connection came free within ${this.o.queueMs} ms (all ${this.o.connections} busy)`, timeout: true }, null, false);
    }
    for (const c of this.all) {
      if (c.deadline === 0 || now < c.deadline) continue;
      c.deadline = 0;
      if (c.handler) c.handler.onTimeout(); else c.socket.destroy();
    }
  }

  private connect(cb: Acquired): void {
    this.connecting++;
    const { host, port } = this.o;
    const s = this.o.tls
      ? tls.connect({ host, port, ALPNProtocols: ['http/1.1'], ...(net.isIP(host) ? {} : { servername: host }) })
      : net.connect({ host, port, noDelay: true });
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true; this.connecting--; clearTimeout(timer);
      s.off('error', onError); s.off('close', onEarlyClose);
      return true;
    };
    const fail = (e: ConnectError): void => {
      if (!settle()) return;
      s.on('error', () => {}); // late errors of a socket we gave up on
      s.destroy();
      cb(e, null, false);
      this.afterClose();
    };
    const timer = setTimeout(() => fail({ code: 'UND_ERR_CONNECT_TIMEOUT', message: `connect to ${host}:${port} timed out after ${this.o.connectMs} ms`, timeout: true }), this.o.connectMs);
    const onError = (e: NodeJS.ErrnoException): void => fail({ code: e.code ?? 'ECONNECT', message: e.message, timeout: e.code === 'ETIMEDOUT' });
    const onEarlyClose = (): void => fail({ code: 'ECONNRESET', message: 'connection closed while connecting', timeout: false });
    s.on('error', onError);
    s.on('close', onEarlyClose);
    s.once(this.o.tls ? 'secureConnect' : 'connect', () => {
      if (!settle()) return;
      if (this.o.tls) s.setNoDelay(true);
      const c = new PooledConnection(s, (x) => { this.all.delete(x); const i = this.idle.indexOf(x); if (i >= 0) this.idle.splice(i, 1); this.afterClose(); });
      this.all.add(c);
      cb(null, c, false);
    });
  }

  /** A connection closed or a connect failed: start one for the next waiter, or finish closing. */
  private afterClose(): void {
    if (this.waiters.length && this.all.size + this.connecting < this.o.connections) { this.connect(this.waiters.shift()!.cb); return; }
    if (this.closing && this.all.size + this.connecting === 0) { clearInterval(this.sweeper); for (const d of this.drained.splice(0)) d(); }
  }
}
