// Forwarding to the upstream through an undici Pool, streaming both ways; maps faults to 502/504.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { ShieldConfig } from '../config/index.js';
import { downstreamHeaders } from './headers.js';

/** Upstream connection settings. */
export interface UpstreamOptions {
  readonly url: URL;
  readonly connections: number;
  readonly connectMs: number;
  readonly headersMs: number;
  readonly bodyMs: number;
}

/** How a forward ended. */
export type ForwardOutcome =
  | { readonly kind: 'ok'; readonly status: number }
  | { readonly kind: 'error'; readonly status: 502 | 504 | 413; readonly error: string; readonly responded: boolean };

/** A keep-alive connection pool to one upstream origin. */
export class Upstream {
  readonly pool: Pool;
  private readonly basePath: string;

  constructor(readonly o: UpstreamOptions) {
    this.pool = new Pool(o.url.origin, {
      connections: o.connections,
      pipelining: 1,
      connectTimeout: o.connectMs,
      headersTimeout: o.headersMs,
      bodyTimeout: o.bodyMs,
      keepAliveTimeout: 4_000,
    });
    this.basePath = o.url.pathname === '/' ? '' : o.url.pathname.replace(/\/$/, '');
  }

  /**
   * Sends the request and streams the response into `res`. Never rejects: failures before the
   * response started come back as 502 (refused, reset, DNS), 504 (connect/headers timeout) or 413;
   * failures mid-response destroy `res` (the client sees a truncated response, as with any proxy).
   */
  async forward(req: IncomingMessage, res: ServerResponse, headers: string[], body: Buffer | Readable | null): Promise<ForwardOutcome> {
    let status = 0;
    const ac = new AbortController();
    const onClose = (): void => { if (!res.writableFinished) ac.abort(); };
    res.once('close', onClose);
    // A client that stops reading would hold an upstream connection forever (undici's body timeout
    // does not run while backpressure pauses it): cut it after bodyMs without progress.
    res.setTimeout(this.o.bodyMs, () => res.destroy());
    try {
      await this.pool.stream({
        path: this.basePath + (req.url ?? '/'),
        method: req.method as 'GET',
        headers,
        body: body ?? null,
        signal: ac.signal,
        opaque: res,
      }, ({ statusCode, headers: h, opaque }) => {
        status = statusCode;
        const out = opaque as ServerResponse;
        out.writeHead(statusCode, downstreamHeaders(h as Record<string, string | string[] | undefined>));
        return out;
      });
      return { kind: 'ok', status };
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      const msg = `${code || 'error'}: ${(e as Error).message}`.slice(0, 200);
      if (status !== 0 || res.headersSent) { res.destroy(); return { kind: 'error', status: 502, error: msg, responded: true }; }
      if (code === 'JIRACHI_BODY_TOO_LARGE' || (e as Error).name === 'BodyTooLarge') return { kind: 'error', status: 413, error: msg, responded: false };
      const timeout = code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'ETIMEDOUT';
      return { kind: 'error', status: timeout ? 504 : 502, error: msg, responded: false };
    } finally {
      res.off('close', onClose);
      res.setTimeout(0);
    }
  }

  /** The pool a config asks for. */
  static fromConfig(cfg: Pick<ShieldConfig, 'upstream' | 'upstreamConnections' | 'upstreamTimeouts'>): Upstream {
    return new Upstream({ url: new URL(cfg.upstream), connections: cfg.upstreamConnections, ...cfg.upstreamTimeouts });
  }

  /** Closes idle connections and waits for in-flight requests. */
  close(): Promise<void> { return this.pool.close(); }
}
