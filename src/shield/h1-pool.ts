// Keep-alive connection pool to one upstream origin (plain TCP or TLS), capped, with connect timeout and idle expiry.

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
}

/** Why a connection could not be had. */
export interface ConnectError { readonly code: string; readonly message: string; readonly timeout: boolean }

/** Receives a connection (reused: it carried an earlier request) or the reason there is none. */
export type Acquired = (err: ConnectError | null, socket: net.Socket | null, reused: boolean) => void;

const noop = (): void => {};

/**
 * A bounded pool of HTTP/1.1 connections, one request at a time on each. Idle connections are kept
 * LIFO (the most recently used is warmest) and dropped when the upstream closes them, sends unsolicited
 * bytes, or they sit idle past keepAliveMs.
 */
export class ConnectionPool {
  private readonly idle: net.Socket[] = [];
  private readonly waiters: Acquired[] = [];
  private open = 0;
  private closing = false;
  private readonly drained: Array<() => void> = [];

  constructor(private readonly o: PoolOptions) {}

  /** Calls back with a connection as soon as one is free (at once if one is idle). */
  acquire(cb: Acquired): void {
    if (this.closing) { cb({ code: 'ECLOSED', message: 'upstream pool closed', timeout: false }, null, false); return; }
    while (this.idle.length) {
      const s = this.idle.pop()!;
      if (s.destroyed || s.readyState !== 'open') continue;
      this.unwatchIdle(s);
      cb(null, s, true);
      return;
    }
    if (this.open < this.o.connections) this.connect(cb);
    else this.waiters.push(cb);
  }

  /** Returns a connection after a request: kept for reuse if `reusable`, else closed. */
  release(s: net.Socket, reusable: boolean): void {
    s.setTimeout(0);
    if (!reusable || this.closing || s.destroyed || s.readyState !== 'open') { s.destroy(); return; }
    const next = this.waiters.shift();
    if (next) { next(null, s, true); return; }
    this.idle.push(s);
    this.watchIdle(s);
  }

  /** Connections open now (idle and busy). */
  get size(): number { return this.open; }

  /** Closes idle connections now and resolves when the busy ones have been released or closed. */
  close(): Promise<void> {
    this.closing = true;
    for (const w of this.waiters.splice(0)) w({ code: 'ECLOSED', message: 'upstream pool closed', timeout: false }, null, false);
    for (const s of this.idle.splice(0)) s.destroy();
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private connect(cb: Acquired): void {
    this.open++;
    const { host, port } = this.o;
    const s = this.o.tls
      ? tls.connect({ host, port, ALPNProtocols: ['http/1.1'], ...(net.isIP(host) ? {} : { servername: host }) })
      : net.connect({ host, port, noDelay: true });
    s.on('error', noop); // errors are handled by whoever holds the socket; an idle one just closes
    let settled = false;
    const timer = setTimeout(() => fail({ code: 'UND_ERR_CONNECT_TIMEOUT', message: `connect to ${host}:${port} timed out after ${this.o.connectMs} ms`, timeout: true }), this.o.connectMs);
    const fail = (e: ConnectError): void => {
      if (settled) return;
      settled = true; clearTimeout(timer); s.destroy(); cb(e, null, false);
    };
    s.once('error', (e: NodeJS.ErrnoException) => fail({ code: e.code ?? 'ECONNECT', message: e.message, timeout: e.code === 'ETIMEDOUT' }));
    s.once('close', () => { clearTimeout(timer); this.onClosed(s); });
    s.once(this.o.tls ? 'secureConnect' : 'connect', () => {
      if (settled) return;
      settled = true; clearTimeout(timer);
      if (this.o.tls) s.setNoDelay(true);
      cb(null, s, false);
    });
  }

  private onClosed(s: net.Socket): void {
    this.open--;
    const i = this.idle.indexOf(s);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.closing) { if (this.open === 0) for (const d of this.drained.splice(0)) d(); return; }
    const next = this.waiters.shift();
    if (next) this.connect(next);
  }

  private watchIdle(s: net.Socket): void {
    s.setTimeout(this.o.keepAliveMs, () => s.destroy());
    // Bytes or EOF on an idle connection: the upstream closed it or misbehaves; never reuse it.
    s.on('data', destroyIdle);
    s.on('end', destroyIdle);
    s.resume();
  }

  private unwatchIdle(s: net.Socket): void {
    s.setTimeout(0);
    s.off('data', destroyIdle);
    s.off('end', destroyIdle);
  }
}

function destroyIdle(this: net.Socket): void { this.destroy(); }
